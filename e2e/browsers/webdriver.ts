import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { freePort } from "../../server/testing/server-process.js";
import { locate, type BrowserPage, type Target } from "./driver.js";
import { needPath } from "./puppeteer-driver.js";

/**
 * WebKitGTK through its W3C WebDriver server (WebKitWebDriver from Debian's
 * webkit2gtk-driver, WEBKIT_DRIVER_PATH), which starts WebKitGTK's MiniBrowser
 * in automation mode, on a virtual X display (Xvfb, XVFB_PATH; WebKitGTK has
 * no headless mode). Classic WebDriver: JSON over HTTP, the few commands the
 * journeys use. Each session is a fresh, ephemeral browser profile.
 */

/** The W3C key of an element reference in WebDriver JSON. */
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
const ENTER = "\uE007";

/** Xvfb on a display number it picks itself (-displayfd): no race with other X servers. */
async function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  const child = track(spawn(needPath("XVFB_PATH", "Xvfb", "/usr/bin/Xvfb"), ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x1024x24"], {
    stdio: ["ignore", "ignore", "pipe", "pipe"],
  }));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    const fd = child.stdio[3] as NodeJS.ReadableStream;
    createInterface({ input: fd }).once("line", (line) => resolve(`:${line.trim()}`));
    child.once("exit", (code) => reject(new Error(`Xvfb exited with code ${code} before it had a display: ${stderr.trim()}`)));
    child.once("error", reject);
  });
  return { display, process: child };
}

/** WebKitWebDriver on a free port, ready when its /status says so. */
async function startDriver(display: string): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = track(spawn(needPath("WEBKIT_DRIVER_PATH", "WebKitWebDriver", "/usr/bin/WebKitWebDriver"), [`--port=${port}`, "--host=127.0.0.1"], {
    // Root in a container has no user namespaces for WebKit's bubblewrap sandbox.
    // WebKitGTK takes the page's languages from the environment: English for the journeys, whatever the machine's.
    env: { ...process.env, DISPLAY: display, WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS: "1", LIBGL_ALWAYS_SOFTWARE: "1", LANG: "en_US.UTF-8", LANGUAGE: "en_US" },
    stdio: ["ignore", "ignore", "pipe"],
  }));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited with code ${child.exitCode}: ${stderr.trim()}`);
    try {
      if ((await fetch(`${url}/status`)).ok) return { url, process: child };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`WebKitWebDriver did not answer on ${url} within 15 s: ${stderr.trim()}`);
}

// Children still running when this process exits (a worker killed mid-journey) are stopped with it, by PID.
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Stops a child we started, by its PID, and waits for it. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A new WebKitGTK browser (its own Xvfb and WebKitWebDriver), 1280 × 800. */
export async function openWebKit(): Promise<BrowserPage> {
  const xvfb = await startXvfb();
  let driver: { url: string; process: ChildProcess } | null = null;
  try {
    driver = await startDriver(xvfb.display);
    const session = await command<{ sessionId: string }>(driver.url, "POST", "/session", {
      capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { args: ["--automation"] } } },
    });
    const page = new WebDriverPage("WebKit", `${driver.url}/session/${session.sessionId}`, async () => {
      await stop(driver!.process);
      await stop(xvfb.process);
    });
    await page.send("POST", "/window/rect", { width: 1280, height: 800 }).catch(() => undefined);
    await page.send("POST", "/timeouts", { pageLoad: 30_000, script: 30_000 });
    return page;
  } catch (error) {
    if (driver) await stop(driver.process);
    await stop(xvfb.process);
    throw error;
  }
}

async function command<T>(base: string, method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? undefined : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as { value?: unknown };
  const value = json.value as T & { error?: string; message?: string };
  if (!response.ok || (value && typeof value === "object" && "error" in value && value.error)) {
    throw new Error(`WebDriver ${method} ${path}: ${value?.error ?? response.status} ${value?.message ?? ""}`.trim());
  }
  return value;
}

class WebDriverPage implements BrowserPage {
  constructor(
    readonly name: string,
    private readonly session: string,
    private readonly onClose: () => Promise<void>,
  ) {}

  send<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
    return command<T>(this.session, method, path, body);
  }

  async goto(url: string): Promise<void> {
    await this.send("POST", "/url", { url });
  }

  async reload(): Promise<void> {
    await this.send("POST", "/refresh", {});
  }

  evaluate<T>(body: string, ...args: unknown[]): Promise<T> {
    return this.send<T>("POST", "/execute/sync", { script: `const args = Array.from(arguments); return (async () => { ${body} })();`, args });
  }

  private async element(target: Target): Promise<string> {
    const found = await this.send<Record<string, string>>("POST", "/element", { using: "css selector", value: await locate(this, target) });
    return found[ELEMENT]!;
  }

  async click(target: Target): Promise<void> {
    await this.send("POST", `/element/${await this.element(target)}/click`, {});
  }

  async type(target: Target, text: string): Promise<void> {
    await this.send("POST", `/element/${await this.element(target)}/value`, { text });
  }

  async pressEnter(target: Target): Promise<void> {
    await this.send("POST", `/element/${await this.element(target)}/value`, { text: ENTER });
  }

  async screenshot(path: string): Promise<void> {
    const png = await this.send<string>("GET", "/screenshot");
    writeFileSync(path, Buffer.from(png, "base64"));
  }

  async close(): Promise<void> {
    await this.send("DELETE", "").catch(() => undefined);
    await this.onClose();
  }
}
