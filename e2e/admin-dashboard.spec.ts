import { randomUUID } from "node:crypto";
import type { Browser, BrowserContextOptions, Page, TestInfo } from "@playwright/test";
import { bubble, expect, messages, openConversation, send, signUp, startDirectChat, test } from "./fixtures.js";
import { ADMIN_BUNDLE_MARKER } from "../web/admin/bundle-guard.js";
import { E2E_ADMIN_TOKEN } from "./support/admin-token.js";

/**
 * The admin dashboard (issue 15, /admin): an operator signs in with the admin
 * token, watches delivery live while two people chat, and finds the path of a
 * message they sent. Screenshots of the dashboard (light, dark, phone) are in
 * the test's attachments.
 */

const PHONE = { width: 390, height: 844 };

async function attachScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  // Also on disk in the test's output folder, to look at after a run with the list reporter.
  const body = await page.screenshot({ fullPage: true, path: testInfo.outputPath(`${name}.png`) });
  await testInfo.attach(name, { body, contentType: "image/png" });
}

/** Opens /admin in a new browser profile and signs in with the e2e server's admin token (by keyboard). */
async function openDashboard(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto("/admin");
  await page.getByLabel("Admin token").fill(E2E_ADMIN_TOKEN);
  await page.getByLabel("Admin token").press("Enter");
  await expect(page.getByRole("heading", { name: "Delivery", exact: true })).toBeVisible();
  return page;
}

/** A chart's section by its heading. */
const chart = (page: Page, title: string) => page.getByTestId("chart").filter({ has: page.getByRole("heading", { name: title, exact: true }) });

test("an admin signs in with the token, watches delivery live, looks up a message's trace, and signs out", async ({ browser, transport }, testInfo) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Admin", transport);
  const bob = await signUp(browser, "bob", "Bob Admin", transport);
  await startDirectChat(ann, bob);
  await send(ann.page, "hello before the dashboard");
  await openConversation(bob.page, "Ann Admin");
  await expect(bubble(bob.page, "hello before the dashboard")).toBeVisible();

  const adminContext = await browser.newContext({ colorScheme: "light" });
  const admin = await adminContext.newPage();
  await admin.goto("/admin");
  await expect(admin.getByRole("heading", { name: "Courier admin" })).toBeVisible();

  // A wrong token is refused and not kept.
  await admin.getByLabel("Admin token").fill("not-the-admin-token-at-all");
  await admin.getByRole("button", { name: "Sign in" }).click();
  await expect(admin.getByRole("alert")).toHaveText("That admin token was refused.");
  expect(await admin.evaluate(() => sessionStorage.length)).toBe(0);
  await attachScreenshot(admin, testInfo, "sign-in-refused");

  await admin.getByLabel("Admin token").fill(E2E_ADMIN_TOKEN);
  await admin.getByLabel("Admin token").press("Enter");
  // The keyboard goes on from the dashboard (the form it was in is gone).
  await expect(admin.getByRole("heading", { name: "Delivery", exact: true })).toBeFocused();
  await expect(admin.getByTestId("updated")).toContainText("Updated");
  // Kept for this tab only: never a cookie, never localStorage.
  expect(await admin.evaluate(() => [Object.values(sessionStorage), localStorage.length])).toEqual([[E2E_ADMIN_TOKEN], 0]);
  expect(JSON.stringify(await adminContext.cookies())).not.toContain(E2E_ADMIN_TOKEN);

  // Traffic while the dashboard watches: the charts move.
  for (const text of ["live one", "live two", "live three"]) await send(ann.page, text);
  await expect(bubble(bob.page, "live three")).toBeVisible();
  await expect(chart(admin, "Messages per second")).not.toHaveAttribute("data-nonzero", "0", { timeout: 10_000 });
  await expect(chart(admin, "Delivery latency")).not.toHaveAttribute("data-nonzero", "0", { timeout: 10_000 });
  await expect(admin.getByRole("list", { name: "Delivery latency, latest values" })).toContainText("ws p50");
  await expect(chart(admin, "Messages per second").locator("canvas")).toBeVisible();
  await expect(admin.getByRole("table").filter({ hasText: "Process" })).toContainText("ws");
  // A few points on the time axis before the pictures (one every 2 s).
  await expect(chart(admin, "Messages per second")).toHaveAttribute("data-points", /^([3-9]|\d{2,})$/, { timeout: 10_000 });
  await attachScreenshot(admin, testInfo, "dashboard");
  await admin.emulateMedia({ colorScheme: "dark" });
  await expect(admin.locator("body")).toHaveCSS("background-color", "rgb(18, 20, 23)");
  await attachScreenshot(admin, testInfo, "dashboard-dark");
  await admin.setViewportSize(PHONE);
  await expect(chart(admin, "Messages per second").locator("canvas")).toBeVisible();
  expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  await attachScreenshot(admin, testInfo, "dashboard-phone-dark");
  await admin.setViewportSize({ width: 1280, height: 900 });
  await admin.emulateMedia({ colorScheme: "light" });

  // The trace of a message Bob received: stored, and acked by Bob's device (the trace is written once a second).
  const sent = messages(bob.page).filter({ hasText: "live two" });
  const messageId = await sent.getAttribute("data-message-id");
  expect(messageId).toBeTruthy();
  const lookUp = async (id: string) => {
    await admin.getByLabel("Message id").fill(id);
    await admin.getByRole("button", { name: "Look up" }).click();
  };
  await expect(async () => {
    await lookUp(messageId!);
    const trace = admin.getByTestId("trace");
    await expect(trace.locator('tr[data-event="stored"]')).toHaveCount(1, { timeout: 500 });
    await expect(trace.locator('tr[data-event="acked"]').first()).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await expect(admin.getByTestId("trace").locator('tr[data-event="stored"]')).toContainText("+0 ms");
  await admin.getByTestId("trace").scrollIntoViewIfNeeded();
  await attachScreenshot(admin, testInfo, "trace");

  await lookUp(randomUUID());
  await expect(admin.getByRole("alert")).toHaveText("No trace: unknown message or older than an hour.");

  await admin.getByRole("button", { name: "Sign out" }).click();
  await expect(admin.getByLabel("Admin token")).toBeVisible();
  expect(await admin.evaluate(() => sessionStorage.length)).toBe(0);
  await adminContext.close();
});

test("nothing of the dashboard is in the app's bundle", async ({ page, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const html = await (await page.request.get("/")).text();
  const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
  expect(scripts.length).toBeGreaterThan(0);
  for (const src of scripts) {
    const code = await (await page.request.get(src)).text();
    expect(code, src).not.toContain(ADMIN_BUNDLE_MARKER);
    expect(code, src).not.toMatch(/uPlot|u-legend/);
  }
  const adminHtml = await (await page.request.get("/admin")).text();
  expect(adminHtml).toContain('id="admin-root"');
});

test("device diagnostics: a user's device answers the diagnostics command and the admin reads its key facts and raw report", async ({ browser, transport }, testInfo) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const cleo = await signUp(browser, "cleo", "Cleo Diag", transport);
  const userId = ((await (await cleo.context.request.get("/api/me")).json()) as { user: { id: string } }).user.id;
  const admin = await openDashboard(browser);
  const api = admin.context().request;
  const headers = { authorization: `Bearer ${E2E_ADMIN_TOKEN}` };

  await admin.getByLabel("User id").fill(userId);
  await admin.getByRole("button", { name: "Show devices" }).click();
  await expect(admin.getByText("No device of this user has reported diagnostics.")).toBeVisible();

  const created = await api.post("/api/admin/commands", { headers, data: { userId, name: "diagnostics" } });
  expect(created.status()).toBe(201);
  const commandId = ((await created.json()) as { command: { id: string } }).command.id;
  await expect
    .poll(async () => ((await (await api.get(`/api/admin/commands/${commandId}`, { headers })).json()) as { results: unknown[] }).results.length)
    .toBe(1);

  await admin.getByRole("button", { name: "Show devices" }).click();
  const device = admin.getByRole("listitem").filter({ has: admin.getByRole("heading", { level: 3 }) });
  await expect(device).toHaveCount(1);
  await expect(device.getByRole("definition").first()).toHaveText("done");
  await expect(device).toContainText("Outbox");
  await expect(device).toContainText("empty");
  await expect(device).toContainText("protocol 1");
  await device.getByText("Raw report").click();
  await expect(device.locator("pre")).toContainText('"appVersion"');
  await attachScreenshot(admin, testInfo, "diagnostics");

  // A user id the server refuses is said in its words, not a blank table.
  await admin.getByLabel("User id").fill("x".repeat(300));
  await admin.getByRole("button", { name: "Show devices" }).click();
  await expect(admin.getByRole("alert")).not.toBeEmpty();
});

test("the app's service worker leaves /admin to the network: the admin page never becomes the app's offline shell", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const dee = await signUp(browser, "dee", "Dee Worker", transport);
  await dee.page.evaluate(async () => void (await navigator.serviceWorker.ready));
  const page = await dee.context.newPage();
  // The worker answers the app's own navigations (network first, kept as the shell)…
  expect((await page.goto("/"))?.fromServiceWorker()).toBe(true);
  // …but not the admin page's.
  const admin = await page.goto("/admin");
  expect(admin?.fromServiceWorker()).toBe(false);
  await expect(page.getByLabel("Admin token")).toBeVisible();
});
