import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry } from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_CONFIG, type PushConfig } from "../config.js";
import type { Connection } from "../sync/hub.js";
import { call, openDirect, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";
import type { Timers } from "./collapse.js";
import { classify } from "./service.js";
import { ScriptedPushService } from "./testing/scripted-push.js";

/**
 * The push service against a scripted push service (no network): routing,
 * quotas, live devices, sign-out, hand-overs and the unseen count.
 */

let server: TestServer;
afterEach(async () => server?.dispose());

const DAY = 24 * 60 * 60 * 1000;

async function setUp(push: Partial<PushConfig> = {}) {
  let now = Date.parse("2026-03-10T10:00:00Z");
  const service = new ScriptedPushService();
  const manual: Timers = { setTimeout: () => null, clearTimeout: () => {} };
  server = await startServer(
    { push: { ...DEFAULT_PUSH_CONFIG, subject: "mailto:ops@courier.example", ...push }, adminToken: "admin-token-0123456789" },
    {
      clock: () => now,
      push: {
        timers: manual,
        resolve: async () => ["93.184.216.34"],
        transport: service.transport,
      },
    },
  );
  const subscribe = (s: Session) => service.subscribe(server.app, s);
  const settle = async () => {
    await server.push.quiet();
    server.push.flushWindows();
    await server.push.idle();
  };
  const to = (endpoint: string) => service.to(endpoint);
  return { sent: service.sent, to, subscribe, settle, advance: (ms: number) => (now += ms), funnel: () => server.pushFunnel.snapshot() };
}

/**
 * A stand-in live connection, as a long-poll presence registers it (the
 * retransmitter leaves poll devices alone, so nothing is handed over behind
 * the test's back when it goes).
 */
function liveConnection(userId: string, deviceId: string): Connection {
  return { id: randomUUID(), userId, deviceId, sessionId: "s", transport: "poll", push() {}, close() {} };
}

const campaign = (body = "Half price") =>
  call(server.app, "POST", "/api/admin/campaigns", { headers: { authorization: "Bearer admin-token-0123456789" }, body: { title: "Sale", body } });

describe("push routing", () => {
  it("holds marketing to the daily quota (dropped and counted), per UTC day; chat and order are never limited", async () => {
    const t = await setUp({ marketingDailyQuota: 2 });
    const bob = await register(server.app, "bob");
    const alice = await register(server.app, "alice");
    const dev = await t.subscribe(bob);
    for (let i = 0; i < 3; i++) {
      expect((await campaign(`c${i}`)).status).toBe(201);
      await t.settle();
    }
    expect(t.to(dev.endpoint).map((p) => p.body)).toEqual(["c0", "c1"]);
    expect(t.funnel().dropped.quota).toBe(1);
    t.advance(DAY);
    await campaign("next day");
    await t.settle();
    expect(t.to(dev.endpoint).map((p) => p.body)).toEqual(["c0", "c1", "next day"]);

    const conv = await openDirect(server.app, alice, bob);
    for (let i = 0; i < 5; i++) {
      await sendHttp(server.app, alice, conv.conversationId, `m${i}`);
      await t.settle();
    }
    expect(t.to(dev.endpoint).filter((p) => p.category === "chat")).toHaveLength(5);
    expect(t.funnel().dropped.quota).toBe(1);
  });

  it("a quota of 0 sends no marketing at all", async () => {
    const t = await setUp({ marketingDailyQuota: 0 });
    const bob = await register(server.app, "bob");
    const dev = await t.subscribe(bob);
    await campaign();
    await t.settle();
    expect(t.to(dev.endpoint)).toEqual([]);
    expect(t.funnel().dropped.quota).toBe(1);
  });

  it("goes only to the recipient's subscribed, signed-in, non-live devices; never to the sender's", async () => {
    const t = await setUp();
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const aliceDev = await t.subscribe(alice);
    const phone = await t.subscribe(bob);
    const laptop = await t.subscribe(bob);
    const bare = randomUUID();
    await call(server.app, "PUT", `/api/devices/${bare}`, { token: bob.token, body: { protocol: 1, capabilities: [] } });
    const conv = await openDirect(server.app, alice, bob);
    const live = liveConnection(bob.user.id, laptop.deviceId);
    server.hub.add(live);
    await sendHttp(server.app, alice, conv.conversationId, "hi");
    await t.settle();
    expect(t.to(phone.endpoint)).toHaveLength(1);
    expect(t.to(laptop.endpoint)).toHaveLength(0);
    expect(t.to(aliceDev.endpoint)).toHaveLength(0);
    expect(t.funnel().dropped).toMatchObject({ live: 1, no_subscription: 1 });
    server.hub.remove(live);

    // Signed out (the session the device used is gone): nothing, even though the subscription is still stored.
    expect((await call(server.app, "POST", "/api/auth/logout", { token: bob.token })).status).toBe(204);
    await sendHttp(server.app, alice, conv.conversationId, "still there?");
    await t.settle();
    expect(t.to(phone.endpoint)).toHaveLength(1);
    expect(t.funnel().dropped.signed_out).toBe(2);
  });

  it("counts unseen messages across windows until the device comes live or the user reads", async () => {
    const t = await setUp();
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const dev = await t.subscribe(bob);
    const conv = await openDirect(server.app, alice, bob);
    const send = async (body: string) => {
      t.advance(10);
      return sendHttp(server.app, alice, conv.conversationId, body);
    };
    await send("a");
    await send("b");
    await t.settle();
    await send("c");
    await t.settle();
    expect(t.to(dev.endpoint).map((p) => [p.count, p.body])).toEqual([
      [2, "b"],
      [3, "c"],
    ]);

    // Came live here (and left): the count starts over.
    const live = liveConnection(bob.user.id, dev.deviceId);
    server.hub.add(live);
    server.hub.remove(live);
    await send("d");
    await t.settle();
    expect(t.to(dev.endpoint).at(-1)).toMatchObject({ count: 1, body: "d" });

    // Active through another process (only its lastSeen moved): starts over too.
    t.advance(10);
    await call(server.app, "PUT", `/api/devices/${dev.deviceId}`, { token: bob.token, body: { protocol: 1, capabilities: ["ack"] } });
    const e = await send("e");
    await t.settle();
    expect(t.to(dev.endpoint).at(-1)).toMatchObject({ count: 1, body: "e" });

    // Read up to "e" while "f" waits in its window: only "f" is new.
    const f = await send("f");
    await call(server.app, "POST", `/api/conversations/${conv.conversationId}/read`, { token: bob.token, body: { seq: e.seq } });
    await t.settle();
    expect(t.to(dev.endpoint).at(-1)).toMatchObject({ count: 1, body: "f" });
    expect(f.seq).toBe(e.seq + 1);
  });

  it("a device handed over after giving up is notified although it is still connected", async () => {
    const t = await setUp();
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const dev = await t.subscribe(bob);
    const conv = await openDirect(server.app, alice, bob);
    const live = liveConnection(bob.user.id, dev.deviceId);
    server.hub.add(live);
    await sendHttp(server.app, alice, conv.conversationId, "are you awake?");
    await t.settle();
    expect(t.to(dev.endpoint)).toHaveLength(0);
    server.push.handOver(bob.user.id, dev.deviceId, "gave_up");
    await t.settle();
    expect(t.to(dev.endpoint)).toEqual([expect.objectContaining({ body: "are you awake?", count: 1 })]);
    // The same entries are not handed over twice.
    server.push.handOver(bob.user.id, dev.deviceId, "gave_up");
    await t.settle();
    expect(t.to(dev.endpoint)).toHaveLength(1);
    // "disconnected" while it is live again (a reconnect) is ignored.
    await sendHttp(server.app, alice, conv.conversationId, "again");
    server.push.handOver(bob.user.id, dev.deviceId, "disconnected");
    await t.settle();
    expect(t.to(dev.endpoint)).toHaveLength(1);
    server.hub.remove(live);
  });

  it("a hand-over after a dead connection still notifies what was dropped as live, also when newer entries were sent meanwhile", async () => {
    const t = await setUp();
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const dev = await t.subscribe(bob);
    const conv = await openDirect(server.app, alice, bob);
    const live = liveConnection(bob.user.id, dev.deviceId);
    server.hub.add(live);
    // Bob's connection is silently dead: these count as delivered live.
    await sendHttp(server.app, alice, conv.conversationId, "first, into the void");
    await t.settle();
    expect(t.to(dev.endpoint)).toHaveLength(0);
    // The server finds it dead; a newer message is routed before the hand-over runs.
    server.hub.remove(live);
    await sendHttp(server.app, alice, conv.conversationId, "second");
    await t.settle();
    expect(t.to(dev.endpoint).map((p) => p.body)).toEqual(["second"]);
    server.push.handOver(bob.user.id, dev.deviceId, "disconnected");
    await t.settle();
    const bodies = t.to(dev.endpoint).map((p) => p.body);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe("first, into the void");
  });

  it("follows: idempotent, notified once, never for yourself", async () => {
    const t = await setUp();
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const dev = await t.subscribe(bob);
    expect((await call(server.app, "POST", `/api/users/${bob.user.id}/follow`, { token: alice.token })).status).toBe(201);
    expect((await call(server.app, "POST", `/api/users/${bob.user.id}/follow`, { token: alice.token })).status).toBe(200);
    await t.settle();
    expect(t.to(dev.endpoint)).toEqual([expect.objectContaining({ category: "follow", title: "Alice started following you" })]);
    expect(t.sent[0]!.headers).toMatchObject({ Urgency: "normal", TTL: "86400" });
  });
});

describe("classify", () => {
  const entry = (k: string, data: unknown): Entry => ({ d: "chat", v: 1, k, at: 1, data });
  const message = (senderId: string, kind = "text") => ({
    message: { id: "m", conversationId: "c", seq: 1, senderId, clientMsgId: "x", kind, body: "hi", at: 1 },
  });
  it("keeps others' text messages, the user's own reads, other parties' order steps, follows and promos", () => {
    const chat = classify("me", entry("msg", message("you")));
    expect(chat).toMatchObject({ event: { category: "chat", seq: 1, messageId: "m" } });
    // The text stays in storage: a collapse window (and Redis) holds the message's place only.
    expect(JSON.stringify(chat)).not.toContain("hi");
    expect(classify("me", entry("hide", { conversationId: "c", messageId: "m" }))).toEqual({ hide: { conversationId: "c", messageId: "m", at: 1 } });
    expect(classify("me", entry("msg", message("me")))).toBeNull();
    expect(classify("me", entry("msg", message("you", "system")))).toBeNull();
    expect(classify("me", entry("read", { conversationId: "c", userId: "me", seq: 4 }))).toEqual({ read: { conversationId: "c", seq: 4 } });
    expect(classify("me", entry("read", { conversationId: "c", userId: "you", seq: 4 }))).toBeNull();
    const order = (status: string) => ({ order: { id: "o", itemId: "i", conversationId: "c", buyerId: "me", sellerId: "you", status, at: 1 } });
    expect(classify("me", entry("order", order("bought")))).toBeNull();
    expect(classify("me", entry("order", order("shipped")))).toMatchObject({ event: { category: "order" } });
    expect(classify("you", entry("order", order("bought")))).toMatchObject({ event: { category: "order" } });
    expect(classify("me", entry("notice", { type: "follow", user: { id: "u", username: "al", displayName: "Al" } }))).toMatchObject({
      event: { category: "follow" },
    });
    expect(classify("me", entry("notice", { type: "other" }))).toBeNull();
    expect(classify("me", entry("promo", { campaignId: "p", title: "t", body: "b" }))).toMatchObject({ event: { category: "marketing" } });
    expect(classify("me", entry("promo", { title: 1 }))).toBeNull();
    expect(classify("me", entry("conv", {}))).toBeNull();
  });
});
