import type { Browser, Page } from "@playwright/test";
import type { Command, CommandResult } from "../shared/protocol/index.js";
import { ServerProcess } from "../server/testing/server-process.js";
import { appUrl, bubbleTexts, expect, expectOnline, localData, messages, openConversation, PASSWORD, send, signUp, startDirectChat, test, type Person } from "./fixtures.js";

/**
 * The instruction model, device side (docs/protocol.md "Commands on the
 * device"): an operator's command reaches a live browser as a `cmd` entry,
 * runs there once and is reported. On a server of our own, started with an
 * ADMIN_TOKEN.
 */

const ADMIN_TOKEN = "e2e-admin-token-commands-0123456789";

/** Sends fail while `blocked`: the socket's `send` frames are dropped and HTTP sends refused; everything else flows. */
async function blockableSends(page: Page): Promise<{ blocked: boolean }> {
  const state = { blocked: false };
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((frame) => {
      if (state.blocked && typeof frame === "string" && /^42\d*\["send"/.test(frame)) return;
      server.send(frame);
    });
  });
  await page.route("**/api/messages", (route) => (state.blocked && route.request().method() === "POST" ? route.abort("internetdisconnected") : route.fallback()));
  return state;
}

/** The admin API of `server`. */
function adminOf(server: ServerProcess) {
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const resultOf = async (id: string) => (await admin<{ command: Command; results: CommandResult[] }>("GET", `/api/admin/commands/${id}`)).body.results;
  return { admin, resultOf };
}

/** Alice and Bob on `server`, Bob's sends blockable, his device id and snapshot requests watched. */
async function aliceAndBob(browser: Browser, server: ServerProcess, transport: Person["transport"]) {
  const alice = await signUp(browser, "alice", "Alice Cmd", transport, { baseURL: server.url });
  const seen = { deviceId: "", snapshots: 0 };
  let sends: { blocked: boolean } = { blocked: false };
  const bob = await signUp(browser, "bob", "Bob Cmd", transport, { baseURL: server.url }, async (page) => {
    page.on("request", (req) => {
      seen.deviceId = req.headers()["x-device-id"] ?? seen.deviceId;
      if (req.url().endsWith("/api/sync/snapshot")) seen.snapshots++;
    });
    sends = await blockableSends(page);
  });
  const me = await bob.context.request.get(`${server.url}/api/me`);
  const bobId = ((await me.json()) as { user: { id: string } }).user.id;
  return { alice, bob, bobId, seen, sends };
}

/** Alice asks; Bob opens the chat and answers while his sends are blocked, so the answer waits in his outbox. */
async function answerUnsent(alice: Person, bob: Person, sends: { blocked: boolean }): Promise<void> {
  await startDirectChat(alice, bob);
  await send(alice.page, "Lunch tomorrow?");
  await openConversation(bob.page, "Alice Cmd");
  sends.blocked = true;
  await send(bob.page, "Noon works");
  await expect(messages(bob.page).filter({ hasText: "Noon works" })).toHaveAttribute("data-status", /sending|failed/);
}

/** Bob, signed out by the admin, signs in again on `page` (this device): his kept answer reaches Alice. */
async function signInAgain(page: Page, bob: Person, alice: Person): Promise<void> {
  await page.getByLabel("Username").fill(bob.username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectOnline(page, bob.transport);
  await expect.poll(() => bubbleTexts(alice.page), { timeout: 20_000 }).toEqual(["Lunch tomorrow?", "Noon works"]);
}

test("an admin's resync runs in a live browser that keeps its unsent message, which is delivered after; diagnostics report without text", async ({ browser, transport }) => {
  test.setTimeout(90_000);
  const server = await ServerProcess.start({ env: { ADMIN_TOKEN } });
  const { admin, resultOf } = adminOf(server);
  try {
    const { alice, bob, bobId, seen, sends } = await aliceAndBob(browser, server, transport);
    const deviceId = seen.deviceId;
    await startDirectChat(alice, bob);
    await send(alice.page, "Are you coming tonight?");
    await openConversation(bob.page, "Alice Cmd");
    await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Are you coming tonight?"]);

    // Bob answers while his sends cannot get through: the message waits in his outbox.
    sends.blocked = true;
    await send(bob.page, "Yes, at eight");
    const pending = messages(bob.page).filter({ hasText: "Yes, at eight" });
    await expect(pending).toHaveAttribute("data-status", /sending|failed/);

    // The operator asks this device to resync.
    const before = seen.snapshots;
    const created = await admin<{ command: Command }>("POST", "/api/admin/commands", { userId: bobId, deviceId, name: "resync" });
    expect(created.status).toBe(201);
    const resync = created.body.command;
    await expect.poll(() => resultOf(resync.id), { timeout: 20_000 }).toEqual([expect.objectContaining({ deviceId, status: "done" })]);
    expect(seen.snapshots).toBeGreaterThan(before);
    // Local data was taken anew; the unsent answer is still there, and Alice has not got it.
    await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Are you coming tonight?", "Yes, at eight"]);
    await expect(pending).toHaveAttribute("data-status", /sending|failed/);
    expect(await bubbleTexts(alice.page)).toEqual(["Are you coming tonight?"]);

    // Sends get through again: it is delivered.
    sends.blocked = false;
    await bob.page.evaluate(() => window.dispatchEvent(new Event("online")));
    await expect.poll(() => bubbleTexts(alice.page), { timeout: 20_000 }).toEqual(["Are you coming tonight?", "Yes, at eight"]);
    await expect(messages(bob.page).filter({ hasText: "Yes, at eight" })).toHaveAttribute("data-status", /sent|delivered|read/);

    // Seen again (a re-pull of the log), the command is not run twice: still one report, no new snapshot.
    const snapshotsAfter = seen.snapshots;
    await bob.page.reload();
    await expect(bob.page.getByTestId("connection-status")).toHaveAttribute("data-state", "online", { timeout: 15_000 });
    expect(await resultOf(resync.id)).toHaveLength(1);
    expect(seen.snapshots).toBe(snapshotsAfter);

    // Diagnostics: counts, versions and logs arrive; no message text.
    sends.blocked = true;
    await send(bob.page, "A secret unsent plan");
    await expect(messages(bob.page).filter({ hasText: "A secret unsent plan" })).toHaveAttribute("data-status", /sending|failed/);
    const diag = (await admin<{ command: Command }>("POST", "/api/admin/commands", { userId: bobId, name: "diagnostics" })).body.command;
    await expect.poll(async () => (await resultOf(diag.id))[0]?.status, { timeout: 20_000 }).toBe("done");
    const report = (await resultOf(diag.id))[0]!.report!;
    expect(report).toMatchObject({ protocol: 1, outbox: { count: 1 }, storage: expect.objectContaining({ messages: expect.any(Number) }) });
    expect((report.versions as Record<string, number>).chat).toBeGreaterThan(0);
    expect((report.transportLog as unknown[]).length).toBeGreaterThan(0);
    const json = JSON.stringify(report);
    for (const text of ["secret unsent plan", "Are you coming tonight", "Yes, at eight", "Alice Cmd"]) expect(json).not.toContain(text);

    await alice.context.close();
    await bob.context.close();
  } finally {
    await server.stop();
  }
});

test("an admin's sign_out signs a live browser out, keeping its unsent message, which goes out at the next sign-in", async ({ browser, transport }) => {
  test.setTimeout(90_000);
  const server = await ServerProcess.start({ env: { ADMIN_TOKEN } });
  const { admin, resultOf } = adminOf(server);
  try {
    const { alice, bob, bobId, seen, sends } = await aliceAndBob(browser, server, transport);
    // A phone-sized screen: the sign-in screen that follows must say what happened there too.
    await bob.page.setViewportSize({ width: 390, height: 844 });
    await answerUnsent(alice, bob, sends);

    const created = await admin<{ command: Command }>("POST", "/api/admin/commands", { userId: bobId, deviceId: seen.deviceId, name: "sign_out" });
    expect(created.status).toBe(201);
    await expect(bob.page.getByText("An administrator signed this device out")).toBeVisible({ timeout: 15_000 });
    await expect(bob.page.getByTestId("current-user")).toHaveCount(0);
    await expect.poll(() => localData(bob.page)).toEqual([{ messages: 0, outbox: 1 }]);
    await bob.page.screenshot({ path: test.info().outputPath("signed-out-by-admin.png") });
    // The device reports after it has applied the command (the screen changes first): wait for the report.
    await expect.poll(() => resultOf(created.body.command.id), { timeout: 10_000 }).toEqual([expect.objectContaining({ deviceId: seen.deviceId, status: "done" })]);

    // Bob signs in again on this device: the unsent answer was kept and goes out.
    sends.blocked = false;
    await signInAgain(bob.page, bob, alice);
    await alice.context.close();
    await bob.context.close();
  } finally {
    await server.stop();
  }
});

test("a device that was away when an admin signed it out is told so when it opens again, keeping its unsent message for the next sign-in", async ({ browser, transport }) => {
  test.setTimeout(90_000);
  const server = await ServerProcess.start({ env: { ADMIN_TOKEN } });
  const { admin } = adminOf(server);
  try {
    const { alice, bob, bobId, seen, sends } = await aliceAndBob(browser, server, transport);
    await answerUnsent(alice, bob, sends);

    // Bob's tab closes (a phone in a drawer, a laptop shut): no connection of his hears the command.
    await bob.page.close();
    const created = await admin<{ command: Command }>("POST", "/api/admin/commands", { userId: bobId, deviceId: seen.deviceId, name: "sign_out" });
    expect(created.status).toBe(201);

    // Opened again, the device learns from the server's refusal what the command would have told it.
    const page = await bob.context.newPage();
    await page.goto(appUrl(transport));
    await expect(page.getByText("An administrator signed this device out")).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId("current-user")).toHaveCount(0);
    // As the command would have: the history left this browser; the unsent answer did not.
    await expect.poll(() => localData(page)).toEqual([{ messages: 0, outbox: 1 }]);

    // Bob signs in again on this device: the unsent answer was kept and goes out, once.
    await signInAgain(page, bob, alice);
    await openConversation(page, "Alice Cmd");
    await expect.poll(() => bubbleTexts(page), { timeout: 20_000 }).toEqual(["Lunch tomorrow?", "Noon works"]);
    await alice.context.close();
    await bob.context.close();
  } finally {
    await server.stop();
  }
});

test("an admin's delete_conversation closes the open chat with a notice; the row leaves the list and stays gone after a reload", async ({ browser, transport }) => {
  test.setTimeout(90_000);
  const server = await ServerProcess.start({ env: { ADMIN_TOKEN } });
  const { admin, resultOf } = adminOf(server);
  try {
    const { alice, bob, bobId, seen } = await aliceAndBob(browser, server, transport);
    await startDirectChat(alice, bob);
    await send(alice.page, "Still have the bike?");
    await openConversation(bob.page, "Alice Cmd");
    await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Still have the bike?"]);
    const conversationId = (await bob.page.getByTestId("conversation").getAttribute("data-conversation-id"))!;
    // Bob's reading is stored first: a `read` entry written after the command would
    // (rightly) bring the conversation back, as any later news of it does.
    await expect(messages(alice.page).filter({ hasText: "Still have the bike?" })).toHaveAttribute("data-status", "read");

    const created = await admin<{ command: Command }>("POST", "/api/admin/commands", { userId: bobId, deviceId: seen.deviceId, name: "delete_conversation", args: { conversationId } });
    expect(created.status).toBe(201);
    await expect(bob.page.getByText("This conversation was removed from this device by an administrator")).toBeVisible({ timeout: 15_000 });
    await expect(bob.page.getByTestId("conversation")).toHaveCount(0);
    await expect(bob.page.getByTestId("conversation-item").filter({ hasText: "Alice Cmd" })).toHaveCount(0);
    await bob.page.screenshot({ path: test.info().outputPath("deleted-by-admin.png") });
    // The device reports after it has applied the command (the screen changes first): wait for the report.
    await expect.poll(() => resultOf(created.body.command.id), { timeout: 10_000 }).toEqual([expect.objectContaining({ deviceId: seen.deviceId, status: "done" })]);

    await bob.page.reload();
    await expectOnline(bob.page, transport);
    await expect(bob.page.getByTestId("conversation-item").filter({ hasText: "Alice Cmd" })).toHaveCount(0);
    await alice.context.close();
    await bob.context.close();
  } finally {
    await server.stop();
  }
});
