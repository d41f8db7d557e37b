import { isExecutable } from "../../scripts/provision/system.js";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { locate, type BrowserPage, type Target } from "./driver.js";

const AsyncFunction = (async () => undefined).constructor as FunctionConstructor;

const VIEWPORT = { width: 1280, height: 800 };
/** The journeys read English; Courier follows the browser's language, so each browser is told, not left to the machine's LANG. */
export const JOURNEY_LANGUAGE = "en-US";

/**
 * Firefox ESR (FIREFOX_PATH) over WebDriver BiDi, in a fresh temporary
 * profile puppeteer makes and removes. (Playwright's own Firefox cannot be
 * downloaded here, and its moz-firefox channel fails on ESR with
 * `emulation.setMediaFeaturesOverride: unknown command`.)
 */
export async function openFirefox(): Promise<BrowserPage> {
  const executablePath = needPath("FIREFOX_PATH", "Firefox ESR", "/usr/bin/firefox-esr");
  const browser = await puppeteer.launch({
    browser: "firefox",
    protocol: "webDriverBiDi",
    executablePath,
    headless: true,
    defaultViewport: VIEWPORT,
    extraPrefsFirefox: { "intl.accept_languages": JOURNEY_LANGUAGE, "intl.locale.requested": JOURNEY_LANGUAGE },
  });
  return new PuppeteerPage("Firefox", browser, await browser.newPage());
}

/** Chromium (CHROMIUM_PATH) over CDP, in a fresh temporary profile: the other person in the journeys. */
export async function openChromium(): Promise<BrowserPage> {
  const executablePath = needPath("CHROMIUM_PATH", "Chromium", "/usr/bin/chromium");
  const browser = await puppeteer.launch({
    browser: "chrome",
    executablePath,
    headless: true,
    defaultViewport: VIEWPORT,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--lang=${JOURNEY_LANGUAGE}`],
  });
  return new PuppeteerPage("Chromium", browser, await browser.newPage());
}

/** The program in `variable` (set by `npm test`), else Debian's `debianPath` when it is there. */
export function needPath(variable: string, name: string, debianPath: string): string {
  const path = process.env[variable] ?? (isExecutable(debianPath) ? debianPath : undefined);
  if (!path) throw new Error(`The cross-browser journeys need ${name}: run them through \`npm test\`, which installs it as root, or set ${variable}.`);
  return path;
}

class PuppeteerPage implements BrowserPage {
  constructor(
    readonly name: string,
    private readonly browser: Browser,
    private readonly page: Page,
  ) {}

  async goto(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: "load" });
  }

  async reload(): Promise<void> {
    await this.page.reload({ waitUntil: "load" });
  }

  evaluate<T>(body: string, ...args: unknown[]): Promise<T> {
    // An async function built from the body: puppeteer sends its source to the page.
    const fn = new AsyncFunction("...args", body) as (...args: unknown[]) => Promise<T>;
    return this.page.evaluate(fn, ...args) as Promise<T>;
  }

  async click(target: Target): Promise<void> {
    await this.page.click(await locate(this, target));
  }

  async type(target: Target, text: string): Promise<void> {
    await this.page.type(await locate(this, target), text);
  }

  async pressEnter(target: Target): Promise<void> {
    const selector = await locate(this, target);
    await this.page.focus(selector);
    await this.page.keyboard.press("Enter");
  }

  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path: path as `${string}.png` });
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
