import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Device, type Item, PUSH_PAYLOAD_MAX_BYTES, type PushPayload, pushPayloadSchema, type Summary } from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_CONFIG } from "../config.js";
import { call, connect, eventually, listen, openDirect, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";
import type { Timers } from "./collapse.js";
import { type PushReceiver, type ReceivedPush, startPushReceiver } from "./testing/push-receiver.js";
import { makeSubscriber, type Subscriber, verifyVapid } from "./testing/web-push-client.js";

/**
 * Acceptance: real network on 127.0.0.1. A local HTTPS push service (throwaway
 * self-signed certificate, trusted only by the agent handed to the server's
 * push sender) receives what the server sends; the test verifies the VAPID
 * JWT and decrypts the RFC 8291 payload with its own node:crypto code.
 */

const SUBJECT = "mailto:push-test@courier.example";
const ADMIN_TOKEN = "test-admin-token-0123456789";
/**
 * Collapse windows close when the test says so (`settle`), not on a wall
 * clock: "several messages quickly" stays one window however slow the machine.
 */
const windowTimers: Timers = { setTimeout: () => null, clearTimeout: () => {} };

let receiver: PushReceiver;
let server: TestServer;
let url: string;
let vapidKey: string;
/** Retry waits the sender asked for (fake time: they resolve at once). */
const sleeps: number[] = [];
const subscribers = new Map<string, Subscriber>();

beforeAll(async () => {
  receiver = await startPushReceiver();
  server = await startServer(
    { push: { ...DEFAULT_PUSH_CONFIG, subject: SUBJECT, allowHosts: ["127.0.0.1"] }, adminToken: ADMIN_TOKEN },
    { push: { agent: receiver.agent, sleep: async (ms) => void sleeps.push(ms), timers: windowTimers } },
  );
  url = await listen(server);
  const key = await call<{ key: string }>(server.app, "GET", "/api/push/vapid-public-key");
  expect(key.status).toBe(200);
  vapidKey = key.body.key;
  expect(Buffer.from(vapidKey, "base64url")).toHaveLength(65);
});

afterAll(async () => {
  if (process.env.PUSH_FUNNEL_REPORT) console.info(`push funnel: ${JSON.stringify(server.pushFunnel.snapshot(), null, 2)}`);
  await server?.dispose();
  await receiver?.close();
});

/** Registers a device of `s` subscribed at `pathname` on the receiver. */
async function subscribe(s: Session, pathname: string): Promise<string> {
  const deviceId = randomUUID();
  const subscriber = makeSubscriber(receiver.endpoint(pathname));
  subscribers.set(pathname, subscriber);
  const res = await call<{ device: Device }>(server.app, "PUT", `/api/devices/${deviceId}`, {
    token: s.token,
    body: { protocol: 1, capabilities: ["ack"], userAgent: "test", notification: "granted", push: subscriber.subscription },
  });
  expect(res.status).toBe(200);
  expect(res.body.device.push).toBe(true);
  return deviceId;
}

function decode(r: ReceivedPush): PushPayload {
  expect(r.headers["content-encoding"]).toBe("aes128gcm");
  const json = subscribers.get(r.path)!.decrypt(r.body);
  expect(Buffer.byteLength(json)).toBeLessThanOrEqual(PUSH_PAYLOAD_MAX_BYTES);
  return pushPayloadSchema.parse(JSON.parse(json));
}

/** Lets routing finish, closes the open windows (the window "elapses"), waits for the sends. */
async function settle(): Promise<void> {
  await server.push.quiet();
  server.push.flushWindows();
  await server.push.idle();
}
const funnel = () => server.pushFunnel.snapshot();

describe("Web Push to a local push service", () => {
  let alice: Session;
  let bob: Session;
  let bobDevice: string;
  let conv: Summary;
  const BOB = "/push/bob";

  beforeAll(async () => {
    alice = await register(server.app, "alice");
    bob = await register(server.app, "bob");
    bobDevice = await subscribe(bob, BOB);
    conv = await openDirect(server.app, alice, bob);
  });

  it("collapses a burst into one request per window: valid VAPID JWT, TTL/Urgency/Topic, a payload we decrypt ourselves", async () => {
    const before = funnel();
    for (let i = 1; i <= 5; i++) await sendHttp(server.app, alice, conv.conversationId, `message ${i}`);
    await settle();
    const [first, ...rest] = receiver.to(BOB);
    expect(rest).toHaveLength(0);

    const now = Math.floor(Date.now() / 1000);
    const claims = verifyVapid(first!.headers.authorization as string, vapidKey);
    expect(claims.aud).toBe(receiver.origin);
    expect(claims.sub).toBe(SUBJECT);
    expect(claims.exp).toBeGreaterThan(now);
    expect(claims.exp).toBeLessThanOrEqual(now + 24 * 3600);
    expect(first!.headers.ttl).toBe("86400");
    expect(first!.headers.urgency).toBe("high");
    expect(first!.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);

    const payload = decode(first!);
    expect(payload).toMatchObject({
      category: "chat",
      title: "5 new messages from Alice",
      body: "message 5",
      conversationId: conv.conversationId,
      url: `/#/c/${conv.conversationId}`,
      count: 5,
      tag: `c:${conv.conversationId}`,
    });
    expect(payload.id).toMatch(/^[0-9a-f-]{36}$/);
    const after = funnel();
    expect(after.requested - before.requested).toBe(1);
    expect(after.accepted - before.accepted).toBe(1);
    expect(after.collapsed - before.collapsed).toBe(4);

    // The next burst: the count carries over (still unseen), same Topic, so one up-to-date notification.
    await sendHttp(server.app, alice, conv.conversationId, "message 6");
    await sendHttp(server.app, alice, conv.conversationId, "message 7");
    await settle();
    const second = receiver.to(BOB)[1]!;
    expect(receiver.to(BOB)).toHaveLength(2);
    expect(second.headers.topic).toBe(first!.headers.topic);
    expect(decode(second)).toMatchObject({ title: "7 new messages from Alice", body: "message 7", count: 7 });

    // Bob reads the conversation (on any device): the count starts over.
    const last = await sendHttp(server.app, alice, conv.conversationId, "message 8");
    await call(server.app, "POST", `/api/conversations/${conv.conversationId}/read`, { token: bob.token, body: { seq: last.seq } });
    await settle();
    const skipped = funnel();
    expect(receiver.to(BOB)).toHaveLength(2);
    expect(skipped.dropped.read - after.dropped.read).toBe(1);
    await sendHttp(server.app, alice, conv.conversationId, "message 9");
    await settle();
    expect(decode(receiver.to(BOB)[2]!)).toMatchObject({ title: "New message from Alice", body: "message 9", count: 1 });
  });

  it("counts each receipt (id, event) once; unknown ids are 404, bad input 400", async () => {
    const id = decode(receiver.to(BOB)[0]!).id!;
    const before = funnel();
    const receipt = (body: unknown) => call(server.app, "POST", "/api/push/receipts", { body });
    expect((await receipt({ id, event: "displayed" })).status).toBe(204);
    expect((await receipt({ id, event: "displayed" })).status).toBe(204);
    expect((await receipt({ id, event: "clicked" })).status).toBe(204);
    expect((await receipt({ id, event: "clicked" })).status).toBe(204);
    const after = funnel();
    expect(after.displayed - before.displayed).toBe(1);
    expect(after.clicked - before.clicked).toBe(1);
    expect(after.byCategory.chat.clicked - before.byCategory.chat.clicked).toBe(1);
    expect((await receipt({ id: randomUUID(), event: "displayed" })).status).toBe(404);
    expect((await receipt({ id, event: "opened" })).status).toBe(400);
    expect((await receipt({ id, event: "clicked", extra: 1 })).status).toBe(400);
    expect((await receipt({ event: "clicked" })).status).toBe(400);
  });

  it("hides previews when the user chose so", async () => {
    const put = await call(server.app, "PUT", "/api/push/preferences", { token: bob.token, body: { hidePreviews: true } });
    expect(put.body).toEqual({ hidePreviews: true });
    expect((await call(server.app, "GET", "/api/push/preferences", { token: bob.token })).body).toEqual({ hidePreviews: true });
    expect((await call(server.app, "PUT", "/api/push/preferences", { token: bob.token, body: { hidePreviews: "yes" } })).status).toBe(400);
    expect((await call(server.app, "GET", "/api/push/preferences")).status).toBe(401);
    const n = receiver.to(BOB).length;
    await sendHttp(server.app, alice, conv.conversationId, "the secret plan");
    await settle();
    const payload = decode(receiver.to(BOB)[n]!);
    expect(payload.body).toBe("Open Courier to read them.");
    expect(JSON.stringify(payload)).not.toContain("secret");
    await call(server.app, "PUT", "/api/push/preferences", { token: bob.token, body: { hidePreviews: false } });
  });

  it("sends nothing for a muted conversation", async () => {
    await call(server.app, "PATCH", `/api/conversations/${conv.conversationId}/settings`, { token: bob.token, body: { muted: true } });
    const n = receiver.to(BOB).length;
    const before = funnel();
    for (let i = 0; i < 3; i++) await sendHttp(server.app, alice, conv.conversationId, `muted ${i}`);
    await settle();
    expect(receiver.to(BOB)).toHaveLength(n);
    expect(funnel().dropped.muted - before.dropped.muted).toBe(3);
    await call(server.app, "PATCH", `/api/conversations/${conv.conversationId}/settings`, { token: bob.token, body: { muted: false } });
  });

  it("sends nothing to a device that is live on socket.io; hands over what it left unacked when it drops", async () => {
    const n = receiver.to(BOB).length;
    const before = funnel();
    const live = connect(url, { token: bob.token, deviceId: bobDevice, protocol: 1 });
    await live.hello;
    await sendHttp(server.app, alice, conv.conversationId, "while live 1");
    await sendHttp(server.app, alice, conv.conversationId, "while live 2");
    await eventually(() => live.pushed.filter((e) => e.k === "msg").length >= 2);
    await settle();
    expect(receiver.to(BOB)).toHaveLength(n);
    expect(funnel().dropped.live - before.dropped.live).toBe(2);

    // Gone without acking what it was pushed: the retransmitter hands the device over to Web Push.
    live.socket.disconnect();
    await eventually(() => server.push.backlog > 0);
    await settle();
    expect(receiver.to(BOB)).toHaveLength(n + 1);
    expect(decode(receiver.to(BOB)[n]!)).toMatchObject({ body: "while live 2", count: 2 });
  });

  it("notifies follows and order steps of the other party, not the actor", async () => {
    const n = receiver.to(BOB).length;
    const follow = await call(server.app, "POST", `/api/users/${bob.user.id}/follow`, { token: alice.token });
    expect(follow.status).toBe(201);
    await settle();
    const followed = receiver.to(BOB)[n]!;
    expect(followed.headers.urgency).toBe("normal");
    expect(decode(followed)).toMatchObject({ category: "follow", title: "Alice started following you", count: 1 });

    const item = (await call<{ item: Item }>(server.app, "POST", "/api/items", { token: bob.token, body: { title: "Bike", priceCents: 5000 } })).body.item;
    expect((await call(server.app, "POST", "/api/orders", { token: alice.token, body: { itemId: item.id } })).status).toBe(201);
    await settle();
    const ordered = receiver.to(BOB).slice(n + 1);
    expect(ordered).toHaveLength(1);
    expect(ordered[0]!.headers.urgency).toBe("high");
    expect(decode(ordered[0]!)).toMatchObject({ category: "order", title: "Order: Bike", body: "Alice bought it" });
  });

  it("removes a subscription the push service says is gone (410)", async () => {
    const carol = await register(server.app, "carol");
    const CAROL = "/push/carol";
    const device = await subscribe(carol, CAROL);
    receiver.answer(CAROL, { status: 410 });
    const c = await openDirect(server.app, alice, carol);
    const before = funnel();
    await sendHttp(server.app, alice, c.conversationId, "are you there?");
    await settle();
    expect(receiver.to(CAROL)).toHaveLength(1);
    const devices = await call<{ devices: Device[] }>(server.app, "GET", "/api/devices", { token: carol.token });
    expect(devices.body.devices.find((d) => d.id === device)).toMatchObject({ push: false });
    expect(funnel().rejected.expired! - (before.rejected.expired ?? 0)).toBe(1);

    await sendHttp(server.app, alice, c.conversationId, "hello?");
    await settle();
    expect(receiver.to(CAROL)).toHaveLength(1);
    expect(funnel().dropped.no_subscription).toBeGreaterThan(before.dropped.no_subscription);
  });

  it("retries a 429 after its Retry-After (fake time), then counts the 201", async () => {
    const dave = await register(server.app, "dave");
    const DAVE = "/push/dave";
    await subscribe(dave, DAVE);
    receiver.answer(DAVE, { status: 429, headers: { "retry-after": "7" } }, { status: 201 });
    const c = await openDirect(server.app, alice, dave);
    const before = funnel();
    sleeps.length = 0;
    await sendHttp(server.app, alice, c.conversationId, "knock knock");
    await settle();
    expect(sleeps).toEqual([7000]);
    const [a, b] = receiver.to(DAVE);
    expect(receiver.to(DAVE)).toHaveLength(2);
    expect(decode(a!).id).toBe(decode(b!).id);
    const after = funnel();
    expect(after.retries - before.retries).toBe(1);
    expect(after.requested - before.requested).toBe(1);
    expect(after.accepted - before.accepted).toBe(1);
  });

  it("sends a marketing campaign at very-low urgency with a long TTL, within the daily quota; over it, dropped and counted", async () => {
    const campaign = (token: string) =>
      call<{ campaign: { id: string; recipients: number } }>(server.app, "POST", "/api/admin/campaigns", {
        headers: { authorization: `Bearer ${token}` },
        body: { title: "Spring sale", body: "Everything half price", url: "/#/items" },
      });
    expect((await campaign("wrong-token-0123456789")).status).toBe(401);
    const n = receiver.to(BOB).length;
    const before = funnel();
    const first = await campaign(ADMIN_TOKEN);
    expect(first.status).toBe(201);
    expect(first.body.campaign.recipients).toBeGreaterThanOrEqual(4);
    await settle();
    const promo = receiver.to(BOB)[n]!;
    expect(promo.headers.urgency).toBe("very-low");
    expect(promo.headers.ttl).toBe(String(7 * 24 * 3600));
    expect(decode(promo)).toMatchObject({ category: "marketing", title: "Spring sale", body: "Everything half price", url: "/#/items", count: 1 });

    const mid = funnel();
    expect((await campaign(ADMIN_TOKEN)).status).toBe(201);
    await settle();
    expect(receiver.to(BOB)).toHaveLength(n + 1);
    const after = funnel();
    expect(after.dropped.quota - mid.dropped.quota).toBeGreaterThanOrEqual(1);
    expect(after.byCategory.marketing.requested - mid.byCategory.marketing.requested).toBe(0);
    expect(before.dropped.quota).toBe(0);
  });
});

describe("shutdown", () => {
  it("sends the notifications of windows still open instead of dropping them", async () => {
    const own = await startServer(
      { push: { ...DEFAULT_PUSH_CONFIG, subject: SUBJECT, allowHosts: ["127.0.0.1"] } },
      { push: { agent: receiver.agent, timers: windowTimers } },
    );
    try {
      const ann = await register(own.app, "ann");
      const ben = await register(own.app, "ben");
      const subscriber = makeSubscriber(receiver.endpoint("/push/ben-shutdown"));
      subscribers.set("/push/ben-shutdown", subscriber);
      const reg = await call(own.app, "PUT", `/api/devices/${randomUUID()}`, {
        token: ben.token,
        body: { protocol: 1, capabilities: ["ack"], notification: "granted", push: subscriber.subscription },
      });
      expect(reg.status).toBe(200);
      const conv = await openDirect(own.app, ann, ben);
      await sendHttp(own.app, ann, conv.conversationId, "last words before the deploy");
      await own.push.quiet();
      // The window never elapses on its own here; only the shutdown can send it.
      expect(receiver.to("/push/ben-shutdown")).toHaveLength(0);
    } finally {
      await own.dispose();
    }
    const sent = receiver.to("/push/ben-shutdown");
    expect(sent).toHaveLength(1);
    expect(decode(sent[0]!)).toMatchObject({ body: "last words before the deploy", count: 1 });
  });
});
