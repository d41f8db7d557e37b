import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, CDPSession, Page, Request } from "@playwright/test";
import { pushPayloadSchema, type PushPayload } from "../shared/protocol/index.js";
import { type PushReceiver, startPushReceiver } from "../server/push/testing/push-receiver.js";
import { makeSubscriber } from "../server/push/testing/web-push-client.js";
import { ServerProcess } from "../server/testing/server-process.js";
import { VISIBLE_RISE_DELAY_MS } from "../web/features/conversations/use-unread-title.js";
import { bubbleTexts, expect, messages, openConversation, send, signUp, startDirectChat, test, type Person } from "./fixtures.js";

/**
 * Web Push in the browser: the permission flow, the service worker's
 * notifications and clicks, and the tab's unread badge. A push is handed to
 * the service worker through the Chrome DevTools Protocol
 * (`ServiceWorker.deliverPushMessage`), as the browser's push service would;
 * this machine has no route to a real one, which also shows how the app
 * behaves when the push service can't be reached.
 */

async function closeAll(...people: Person[]) {
  for (const p of people) await p.context.close();
}

/** Counts calls of Notification.requestPermission, before any app code runs. */
async function countPermissionAsks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const original = Notification.requestPermission.bind(Notification);
    Object.assign(window, { __permissionAsks: 0 });
    Notification.requestPermission = (...args: Parameters<typeof Notification.requestPermission>) => {
      (window as unknown as { __permissionAsks: number }).__permissionAsks++;
      return original(...args);
    };
  });
}

const permissionAsks = (page: Page) => page.evaluate(() => (window as unknown as { __permissionAsks: number }).__permissionAsks);

/** The page's service worker registration id, for CDP, once it is activated. */
async function serviceWorkerOf(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; registrationId: string }> {
  const cdp = await context.newCDPSession(page);
  const activated = new Promise<string>((resolve) => {
    cdp.on("ServiceWorker.workerVersionUpdated", (event) => {
      const version = event.versions.find((v) => v.status === "activated");
      if (version) resolve(version.registrationId);
    });
  });
  await cdp.send("ServiceWorker.enable");
  return { cdp, registrationId: await activated };
}

async function notifications(page: Page) {
  return page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, tag: n.tag, body: n.body })));
}

/**
 * The notifications on screen once the service worker has reported each push
 * in `ids` displayed. Reading earlier is a race in Chromium, not in Courier:
 * a `getNotifications()` that runs while a notification is still being shown
 * can drop it from the browser's records for good (8 of 20 runs of a probe
 * that polled without pause; 0 of 20 when it waited for the receipt).
 */
async function shownNotifications(page: Page, reported: readonly { event: string; id: string }[], ids: readonly string[]) {
  await expect.poll(() => ids.filter((id) => !reported.some((r) => r.id === id && r.event === "displayed"))).toEqual([]);
  return notifications(page);
}

function receipts(context: BrowserContext): { event: string; id: string }[] {
  const seen: { event: string; id: string }[] = [];
  context.on("request", (req: Request) => {
    if (req.method() === "POST" && req.url().endsWith("/api/push/receipts")) seen.push(req.postDataJSON() as { event: string; id: string });
  });
  return seen;
}

function conversationIdOf(page: Page): string {
  return decodeURIComponent(new URL(page.url()).hash.replace(/^#\/c\//, ""));
}

test("notifications are offered on one line once a conversation has started, never on load, and a push service out of reach is said plainly", async ({ browser, transport }) => {
  const alice = await signUp(browser, "alice", "Alice Prompt", transport);
  const bob = await signUp(browser, "bob", "Bob Prompt", transport, {}, countPermissionAsks);
  // Loading the app asks nothing and offers nothing.
  expect(await permissionAsks(bob.page)).toBe(0);
  await expect(bob.page.getByTestId("notification-prompt")).toHaveCount(0);

  await startDirectChat(alice, bob);
  await send(alice.page, "Hello Bob");
  await openConversation(bob.page, "Alice Prompt");
  // A phone: the offer must leave the conversation in view.
  await bob.page.setViewportSize({ width: 390, height: 844 });
  const prompt = bob.page.getByTestId("notification-prompt");
  await expect(prompt).toContainText("Get notified when Alice Prompt writes");
  // Compact: one line (two with a long name) beside its buttons, under 60 px of the phone's 844 (the old banner took 40 % with the item panel).
  expect((await prompt.boundingBox())!.height).toBeLessThanOrEqual(60);
  await bob.page.screenshot({ path: test.info().outputPath("notification-offer-phone.png") });
  await expect(bubbleTexts(bob.page)).resolves.toEqual(["Hello Bob"]);
  expect(await permissionAsks(bob.page)).toBe(0);

  // Only the click on the offer asks the browser.
  await bob.context.grantPermissions(["notifications"]);
  await prompt.getByRole("button", { name: "Turn on notifications" }).click();
  await expect.poll(() => permissionAsks(bob.page)).toBe(1);
  // This machine has no route to a push service: the app says so and keeps working.
  await expect(prompt).toContainText("couldn't reach your browser's push service");
  await send(alice.page, "Still here?");
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Hello Bob", "Still here?"]);
  await prompt.getByRole("button", { name: "OK" }).click();
  await expect(prompt).toHaveCount(0);

  // Settings tell a browser that blocks notifications how to allow them.
  await bob.context.clearPermissions();
  const blocked = await bob.context.newPage();
  await blocked.addInitScript(() => Object.defineProperty(Notification, "permission", { get: () => "denied" }));
  await blocked.goto("/#/settings");
  await expect(blocked.getByTestId("notifications-blocked")).toContainText("set Notifications to Allow");
  await closeAll(alice, bob);
});

test("the offer, dismissed with the keyboard, is gone for good for that account: in every conversation and after a reload", async ({ browser, transport }) => {
  const alice = await signUp(browser, "alice", "Alice Once", transport);
  const carol = await signUp(browser, "carol", "Carol Once", transport);
  const bob = await signUp(browser, "bob", "Bob Once", transport, {}, countPermissionAsks);
  await startDirectChat(alice, bob);
  await send(alice.page, "Hi from Alice");
  await startDirectChat(carol, bob);
  await send(carol.page, "Hi from Carol");

  await openConversation(bob.page, "Alice Once");
  const prompt = bob.page.getByTestId("notification-prompt");
  await expect(prompt).toContainText("Get notified when Alice Once writes");
  // Keyboard only: Tab moves from "Turn on" to the dismiss button.
  await prompt.getByRole("button", { name: "Turn on notifications" }).focus();
  await bob.page.keyboard.press("Tab");
  await expect(prompt.getByRole("button", { name: "Don't offer notifications again" })).toBeFocused();
  await bob.page.keyboard.press("Enter");
  await expect(prompt).toHaveCount(0);
  expect(await permissionAsks(bob.page)).toBe(0);

  await openConversation(bob.page, "Carol Once");
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Hi from Carol"]);
  await expect(prompt).toHaveCount(0);
  await bob.page.reload();
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Hi from Carol"]);
  await expect(prompt).toHaveCount(0);
  // Settings still turn them on.
  await bob.page.goto("/#/settings");
  await expect(bob.page.getByRole("checkbox", { name: /Notify me about new messages/ })).toBeVisible();
  await closeAll(alice, carol, bob);
});

test("a push shows one notification per conversation, its click opens the conversation, and the service worker reports both", async ({ browser, transport }) => {
  const alice = await signUp(browser, "alice", "Alice Push", transport);
  const bob = await signUp(browser, "bob", "Bob Push", transport);
  await bob.context.grantPermissions(["notifications"]);
  const reported = receipts(bob.context);
  const { cdp, registrationId } = await serviceWorkerOf(bob.context, bob.page);

  await startDirectChat(alice, bob);
  await send(alice.page, "Are you free on Saturday?");
  const conversationId = conversationIdOf(alice.page);
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: "Alice Push" })).toBeVisible();

  const origin = new URL(bob.page.url()).origin;
  const push = (payload: PushPayload) => cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId, data: JSON.stringify(payload) });
  const payload = (id: string, count: number, body: string): PushPayload => ({
    category: "chat",
    title: count > 1 ? `${count} new messages from Alice Push` : "Alice Push",
    body,
    conversationId,
    url: `/#/c/${encodeURIComponent(conversationId)}`,
    count,
    at: Date.now(),
    tag: `c:${conversationId}`,
    id,
  });

  // Two pushes for one conversation leave one, up-to-date notification.
  await push(payload("e2e-1", 1, "Are you free on Saturday?"));
  await push(payload("e2e-2", 2, "Or Sunday?"));
  const tag = `c:${conversationId}`;
  expect(await shownNotifications(bob.page, reported, ["e2e-1", "e2e-2"])).toEqual([{ title: "2 new messages from Alice Push", tag, body: "Or Sunday?" }]);

  // A click brings the open tab to the conversation itself.
  await bob.page.evaluate(async (t) => (await navigator.serviceWorker.ready).active?.postMessage({ type: "courier:click", tag: t }), tag);
  await expect(bob.page.getByTestId("conversation")).toHaveAttribute("data-conversation-id", conversationId);
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Are you free on Saturday?"]);
  await expect.poll(() => notifications(bob.page)).toEqual([]);
  await expect
    .poll(() => reported)
    .toEqual([
      { id: "e2e-1", event: "displayed" },
      { id: "e2e-2", event: "displayed" },
      { id: "e2e-2", event: "clicked" },
    ]);

  // With that conversation on screen, a push for it adds no notification.
  await push(payload("e2e-3", 1, "See you then"));
  await bob.page.waitForTimeout(300);
  expect(await notifications(bob.page)).toEqual([]);
  expect(reported.map((r) => r.id)).not.toContain("e2e-3");
  await closeAll(alice, bob);
});

test("a live tab that hears of a recall has its service worker replace the notification showing that message", async ({ browser, transport }) => {
  const alice = await signUp(browser, "alice", "Alice Live", transport);
  const bob = await signUp(browser, "bob", "Bob Live", transport);
  await bob.context.grantPermissions(["notifications"]);
  const reported = receipts(bob.context);
  const { cdp, registrationId } = await serviceWorkerOf(bob.context, bob.page);
  await startDirectChat(alice, bob);
  await send(alice.page, "The code is 2417");
  const conversationId = conversationIdOf(alice.page);
  const sent = messages(alice.page).filter({ hasText: "The code is 2417" });
  await expect(sent).toHaveAttribute("data-message-id", /.+/);
  const messageId = await sent.getAttribute("data-message-id");
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: "Alice Live" })).toBeVisible();

  // A notification from before (pushed while Bob was away) still shows the message.
  const origin = new URL(bob.page.url()).origin;
  const tag = `c:${conversationId}`;
  const shown: PushPayload = { category: "chat", title: "New message from Alice Live", body: "The code is 2417", conversationId, url: `/#/c/${conversationId}`, count: 1, at: Date.now(), tag, id: "e2e-live-1", messageId: messageId! };
  await cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId, data: JSON.stringify(shown) });
  expect(await shownNotifications(bob.page, reported, ["e2e-live-1"])).toEqual([{ title: shown.title, tag, body: "The code is 2417" }]);

  // Bob's device is live, so no push comes: the recall entry reaches his tab, which tells the service worker.
  const recalled = await alice.context.request.post(`/api/messages/${messageId}/recall`, { headers: { origin } });
  expect(recalled.ok()).toBe(true);
  await expect.poll(() => notifications(bob.page), { intervals: [1_000] }).toEqual([{ title: "Alice Live", tag, body: "Alice Live recalled a message" }]);
  await closeAll(alice, bob);
});

test("with no network at all a reload still opens Courier, from what this browser holds", async ({ browser, transport }) => {
  const alice = await signUp(browser, "alice", "Alice Shell", transport);
  const bob = await signUp(browser, "bob", "Bob Shell", transport);
  await startDirectChat(alice, bob);
  await send(alice.page, "See you at the station");
  await openConversation(bob.page, "Alice Shell");
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["See you at the station"]);
  // The service worker has kept the app shell once it is active.
  await bob.page.evaluate(async () => void (await navigator.serviceWorker.ready));
  await expect.poll(() => bob.page.evaluate(async () => (await caches.keys()).length)).toBeGreaterThan(0);

  await bob.context.setOffline(true);
  await bob.page.reload();
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["See you at the station"]);
  await expect(bob.page.getByTestId("connection-status")).toHaveAttribute("data-state", "offline");
  // Written offline, sent when the network is back.
  await send(bob.page, "On my way");
  await bob.context.setOffline(false);
  await expect.poll(() => bubbleTexts(alice.page), { timeout: 20_000 }).toEqual(["See you at the station", "On my way"]);
  await closeAll(alice, bob);
});

test("a hidden tab counts unread messages in its title and icon", async ({ browser, transport }) => {
  const alice = await signUp(browser, "alice", "Alice Badge", transport);
  const bob = await signUp(browser, "bob", "Bob Badge", transport, {}, async (page) => {
    // Headless tabs are always visible; this one can be sent to the background.
    await page.addInitScript(() => {
      let hidden = false;
      Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
      Object.defineProperty(document, "hidden", { get: () => hidden });
      Object.assign(window, {
        __setHidden: (value: boolean) => {
          hidden = value;
          document.dispatchEvent(new Event("visibilitychange"));
        },
      });
    });
  });
  await startDirectChat(alice, bob);
  await send(alice.page, "One");
  await openConversation(bob.page, "Alice Badge");
  await expect(bob.page).toHaveTitle("Courier");

  await bob.page.evaluate(() => (window as unknown as { __setHidden(v: boolean): void }).__setHidden(true));
  await send(alice.page, "Two");
  await send(alice.page, "Three");
  await expect(bob.page).toHaveTitle("(2) Courier");
  const icon = () => bob.page.locator("link[rel~='icon']").getAttribute("href");
  expect(decodeURIComponent((await icon()) ?? "")).toContain(">2</text>");

  // Back in front: read, and the badge goes.
  await bob.page.evaluate(() => (window as unknown as { __setHidden(v: boolean): void }).__setHidden(false));
  await expect(bob.page).toHaveTitle("Courier");
  expect(decodeURIComponent((await icon()) ?? "")).not.toContain("<circle");

  // In front, with the conversation open: messages read where they land never blink the tab's title or badge,
  // neither as they land nor once a rise on screen would have waited its time (VISIBLE_RISE_DELAY_MS).
  await bob.page.evaluate(() => {
    const seen: string[] = [];
    Object.assign(window, { __tab: seen });
    const icon = () => (document.querySelector("link[rel~='icon']") as HTMLLinkElement | null)?.href ?? "";
    new MutationObserver(() => seen.push(`${document.title}${decodeURIComponent(icon()).includes("<circle") ? " +badge" : ""}`)).observe(document.head, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  });
  for (const text of ["Four", "Five", "Six"]) await send(alice.page, text);
  await expect(bob.page.getByTestId("message-list").getByText("Six", { exact: true })).toBeVisible();
  await bob.page.waitForTimeout(VISIBLE_RISE_DELAY_MS + 500);
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: "Alice Badge" }).getByTestId("unread-badge")).toHaveCount(0);
  expect(await bob.page.evaluate(() => (window as unknown as { __tab: string[] }).__tab.filter((t) => t !== "Courier"))).toEqual([]);
  await closeAll(alice, bob);
});

/**
 * A push service on 127.0.0.1 (HTTPS, throwaway certificate) that a server of
 * our own trusts (its counters can be read), for `use`; both go afterwards.
 */
async function withPushServer(env: Record<string, string>, use: (receiver: PushReceiver, server: ServerProcess) => Promise<void>): Promise<void> {
  const receiver = await startPushReceiver();
  const certDir = mkdtempSync(path.join(tmpdir(), "courier-e2e-cert-"));
  writeFileSync(path.join(certDir, "push.pem"), receiver.cert);
  const server = await ServerProcess.start({
    env: { PUSH_ALLOW_HOSTS: "127.0.0.1", NODE_EXTRA_CA_CERTS: path.join(certDir, "push.pem"), PUSH_SUBJECT: "mailto:ops@courier.test", ...env },
  });
  try {
    await use(receiver, server);
  } finally {
    await server.stop();
    await receiver.close();
    rmSync(certDir, { recursive: true, force: true });
  }
}

/**
 * Alice and Bob (notifications allowed) on `server`, in a direct chat with one
 * message Bob's device has acked; Bob's browser holds a subscription at
 * `receiver` (a real one would be at its vendor's), at `/push/bob`.
 */
async function chatWithSubscribedBob(browser: Browser, server: ServerProcess, receiver: PushReceiver, names: { alice: string; bob: string }) {
  const at = { baseURL: server.url };
  const alice = await signUp(browser, "alice", names.alice, "ws", at);
  let deviceId = "";
  const bob = await signUp(browser, "bob", names.bob, "ws", at, async (page) => {
    page.on("request", (req) => (deviceId = req.headers()["x-device-id"] ?? deviceId));
  });
  await bob.context.grantPermissions(["notifications"]);
  await startDirectChat(alice, bob);
  await send(alice.page, "Hi Bob");
  const conversationId = conversationIdOf(alice.page);
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: names.alice })).toBeVisible();
  const subscriber = makeSubscriber(receiver.endpoint("/push/bob"));
  expect(deviceId).not.toBe("");
  const registered = await bob.context.request.put(`${server.url}/api/devices/${deviceId}`, {
    headers: { origin: server.url },
    data: { protocol: 1, capabilities: ["ack"], notification: "granted", push: subscriber.subscription },
  });
  expect(registered.ok()).toBe(true);
  // Bob's device has acked "Hi Bob" (Alice sees it delivered): closing the tab hands nothing older over to push.
  await expect(messages(alice.page).last()).toHaveAttribute("data-status", /delivered|read/);
  /** The n-th push the receiver got for Bob, decrypted, once it has arrived. */
  const pushed = async (n: number): Promise<PushPayload> => {
    await expect.poll(() => receiver.to("/push/bob").length, { timeout: 15_000 }).toBeGreaterThan(n);
    return pushPayloadSchema.parse(JSON.parse(subscriber.decrypt(receiver.to("/push/bob")[n]!.body)));
  };
  return { alice, bob, conversationId, pushed };
}

test("a message to an offline device goes out as a real push, and its display and click reach the server's funnel", async ({ browser }) => {
  test.setTimeout(90_000);
  // Long enough that two sends in a row share the window even on a loaded machine.
  await withPushServer({ PUSH_WINDOW_MS: "2500", FAULT_INJECTION: "1" }, async (receiver, server) => {
    const funnel = async () => ((await (await fetch(`${server.url}/api/faults/metrics`)).json()) as { push: { requested: number; accepted: number; displayed: number; clicked: number } }).push;
    const { alice, bob, conversationId, pushed } = await chatWithSubscribedBob(browser, server, receiver, { alice: "Alice Funnel", bob: "Bob Funnel" });

    // Bob closes the tab; Alice writes twice: one push for the window, with both counted.
    await bob.page.close();
    await send(alice.page, "Dinner at 8?");
    await send(alice.page, "At the usual place");
    const payload = await pushed(0);
    expect(receiver.to("/push/bob")).toHaveLength(1);
    expect(payload).toMatchObject({
      category: "chat",
      title: "2 new messages from Alice Funnel",
      body: "At the usual place",
      conversationId,
      url: `/#/c/${encodeURIComponent(conversationId)}`,
      count: 2,
      id: expect.any(String),
    });

    // The browser hands the push to Bob's service worker: a notification, then a click.
    const page = await bob.context.newPage();
    const reported = receipts(bob.context);
    await page.goto("/#/listings");
    const { cdp, registrationId } = await serviceWorkerOf(bob.context, page);
    await cdp.send("ServiceWorker.deliverPushMessage", { origin: server.url, registrationId, data: JSON.stringify(payload) });
    expect(await shownNotifications(page, reported, [payload.id as string])).toEqual([{ title: payload.title, tag: payload.tag, body: payload.body }]);
    await page.evaluate(async (t) => (await navigator.serviceWorker.ready).active?.postMessage({ type: "courier:click", tag: t }), payload.tag);
    await expect(page.getByTestId("conversation")).toHaveAttribute("data-conversation-id", conversationId);
    await expect.poll(() => bubbleTexts(page)).toEqual(["Hi Bob", "Dinner at 8?", "At the usual place"]);

    await expect.poll(funnel).toMatchObject({ requested: 1, accepted: 1, displayed: 1, clicked: 1 });
    test.info().annotations.push({ type: "push-funnel", description: JSON.stringify(await funnel()) });
    await closeAll(alice, bob);
  });
});

/** A notification on screen, then its message recalled by Alice or deleted by Bob for himself: what replaces it. */
const REPLACEMENTS = [
  { what: "recalled", by: "alice", route: "recall", kind: "recall", title: "Alice Recall", body: "Alice Recall recalled a message" },
  { what: "deleted by Bob for himself", by: "bob", route: "hide", kind: "hide", title: "New message from Alice Recall", body: "Message deleted" },
] as const;

for (const r of REPLACEMENTS) test(`a notification on screen for a message that is then ${r.what} is replaced by '${r.body}', with no text`, async ({ browser }) => {
  test.setTimeout(90_000);
  await withPushServer({ PUSH_WINDOW_MS: "200" }, async (receiver, server) => {
    const { alice, bob, conversationId, pushed } = await chatWithSubscribedBob(browser, server, receiver, { alice: "Alice Recall", bob: "Bob Recall" });
    await bob.page.close();
    await send(alice.page, "The surprise is a puppy");
    const shown = await pushed(0);
    expect(shown).toMatchObject({ body: "The surprise is a puppy", messageId: expect.any(String) });

    // Bob's browser shows it; his tab cannot reach the server, so the device stays offline (not live) meanwhile.
    const page = await bob.context.newPage();
    await page.route(/\/api\//, (route) => route.abort("internetdisconnected"));
    await page.routeWebSocket(/\/socket\.io\//, (ws) => ws.close({ code: 1011 }));
    const reported = receipts(bob.context);
    await page.goto("/#/listings");
    const { cdp, registrationId } = await serviceWorkerOf(bob.context, page);
    const deliver = (payload: PushPayload) => cdp.send("ServiceWorker.deliverPushMessage", { origin: server.url, registrationId, data: JSON.stringify(payload) });
    await deliver(shown);
    const tag = `c:${conversationId}`;
    expect(await shownNotifications(page, reported, [shown.id!])).toEqual([{ title: "New message from Alice Recall", tag, body: "The surprise is a puppy" }]);

    // Alice recalls it (or Bob deletes it for himself, elsewhere): Bob's device gets a push that replaces the notification.
    const who = r.by === "alice" ? alice : bob;
    const done = await who.context.request.post(`${server.url}/api/messages/${shown.messageId}/${r.route}`, { headers: { origin: server.url } });
    expect(done.ok()).toBe(true);
    const replacement = await pushed(1);
    expect(replacement).toMatchObject({ kind: r.kind, messageId: shown.messageId, body: r.body });
    expect(JSON.stringify(replacement)).not.toContain("puppy");
    await deliver(replacement);
    await expect.poll(() => notifications(page), { intervals: [1_000] }).toEqual([{ title: r.title, tag, body: r.body }]);
    await closeAll(alice, bob);
  });
});
