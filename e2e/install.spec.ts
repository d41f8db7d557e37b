import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { bubbleTexts, expect, openConversation, send, signUp, startDirectChat, test } from "./fixtures.js";

/**
 * Installable (issue 17): the web app manifest and its icons, Chromium's own
 * verdict on installability, Settings' "Install Courier", and the service
 * worker (hence offline start) in a browser without Web Push, as WebKit and
 * Safari in an iOS tab are. Nothing here depends on the transport: it runs in
 * the ws project only.
 */
test.beforeEach(({ transport }) => test.skip(transport !== "ws", "transport-independent: runs once, in the ws project"));

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

test("the manifest is linked and valid, its icons are PNGs of their stated sizes, and Chromium finds Courier installable", async ({ page, playwright, launchOptions }) => {
  await page.goto("/");
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  expect(href).toBe("/manifest.webmanifest");
  const response = await page.request.get(href!);
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toMatch(/^application\/manifest\+json/);
  expect(response.headers()["content-security-policy"]).toContain("manifest-src 'self'");
  const manifest = (await response.json()) as Record<string, unknown> & { icons: ManifestIcon[] };
  expect(manifest).toMatchObject({ name: "Courier", short_name: "Courier", start_url: "/", scope: "/", display: "standalone", theme_color: "#ffffff", background_color: "#f4f5f7" });
  // Light and dark theme colours for the browser's chrome.
  await expect(page.locator('meta[name="theme-color"][media="(prefers-color-scheme: light)"]')).toHaveAttribute("content", "#ffffff");
  await expect(page.locator('meta[name="theme-color"][media="(prefers-color-scheme: dark)"]')).toHaveAttribute("content", "#1b1e22");

  const pngs = manifest.icons.filter((icon) => icon.type === "image/png");
  expect(pngs.map((icon) => `${icon.sizes} ${icon.purpose}`).sort()).toEqual(["192x192 any", "512x512 any", "512x512 maskable"]);
  for (const icon of pngs) {
    const file = await page.request.get(icon.src);
    expect(file.status(), icon.src).toBe(200);
    expect(file.headers()["content-type"], icon.src).toBe("image/png");
    const [width, height] = icon.sizes.split("x").map(Number);
    expect(pngSize(await file.body()), icon.src).toEqual({ width, height });
  }
  // What the manifest used to be answered with (the app's HTML) is now a plain 404.
  expect((await page.request.get("/manifest.json")).status()).toBe(404);

  // Chromium's own check, once the service worker controls the page. Test contexts are incognito, where Chromium
  // installs nothing (its only answer there is "in-incognito"), so this runs in a profile of its own.
  const profile = mkdtempSync(path.join(tmpdir(), "courier-e2e-profile-"));
  const installed = await playwright.chromium.launchPersistentContext(profile, launchOptions);
  try {
    const app = installed.pages()[0] ?? (await installed.newPage());
    await app.goto(new URL("/", page.url()).href);
    await app.evaluate(async () => void (await navigator.serviceWorker.ready));
    const cdp = await installed.newCDPSession(app);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    expect(installabilityErrors).toEqual([]);
  } finally {
    await installed.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

/** What Chromium hands the page when it offers installing (headless Chromium never fires it on its own). */
async function offerInstall(page: Page, outcome: "accepted" | "dismissed") {
  await page.evaluate((choice) => {
    const event = Object.assign(new Event("beforeinstallprompt", { cancelable: true }), {
      prompt: async () => void ((window as unknown as { __prompts: number }).__prompts = ((window as unknown as { __prompts?: number }).__prompts ?? 0) + 1),
      userChoice: Promise.resolve({ outcome: choice }),
    });
    window.dispatchEvent(event);
  }, outcome);
}

test("Settings offer \"Install Courier\" only while the browser does, and not once it is installed", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann Install", transport);
  await ann.page.getByRole("button", { name: "Settings" }).click();
  await expect(ann.page.getByTestId("settings")).toBeVisible();
  const section = ann.page.getByTestId("install-section");
  await expect(section).toHaveCount(0);

  await offerInstall(ann.page, "dismissed");
  await expect(section).toBeVisible();
  await section.getByRole("button", { name: "Install Courier" }).click();
  // Dismissed in the browser's dialog: gone until the browser offers again.
  await expect(section).toHaveCount(0);
  expect(await ann.page.evaluate(() => (window as unknown as { __prompts: number }).__prompts)).toBe(1);

  await offerInstall(ann.page, "accepted");
  await ann.page.screenshot({ path: test.info().outputPath("install-section.png"), fullPage: true });
  await section.getByRole("button", { name: "Install Courier" }).press("Enter");
  await expect(section).toHaveCount(0);
  await offerInstall(ann.page, "accepted");
  await expect(section).toHaveCount(0);
  await ann.context.close();
});

test("a browser without Web Push (WebKit, an iOS tab) still gets the service worker: with no network a reload opens Courier", async ({ browser, transport }) => {
  const noPush = async (page: Page) => {
    await page.addInitScript(() => void delete (window as unknown as { PushManager?: unknown }).PushManager);
  };
  const alice = await signUp(browser, "alice", "Alice NoPush", transport);
  const bob = await signUp(browser, "bob", "Bob NoPush", transport, {}, noPush);
  expect(await bob.page.evaluate(() => "PushManager" in window)).toBe(false);
  await startDirectChat(alice, bob);
  await send(alice.page, "Works in Safari too");
  await openConversation(bob.page, "Alice NoPush");
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Works in Safari too"]);
  // No push here: nothing is offered in the conversation.
  await expect(bob.page.getByTestId("notification-prompt")).toHaveCount(0);
  await bob.page.evaluate(async () => void (await navigator.serviceWorker.ready));
  await expect.poll(() => bob.page.evaluate(async () => (await caches.keys()).length)).toBeGreaterThan(0);

  await bob.context.setOffline(true);
  const offline = await bob.page.reload();
  // The page kept for offline keeps the server's security headers: its CSP allows exactly its inline scripts (the
  // fixture fails the test on any violation), and nothing else.
  expect(offline?.fromServiceWorker()).toBe(true);
  const headers = offline!.headers();
  expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'sha256-[^']+'/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Works in Safari too"]);
  await expect(bob.page.getByTestId("connection-status")).toHaveAttribute("data-state", "offline");
  await bob.context.setOffline(false);
  await alice.context.close();
  await bob.context.close();
});
