import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Message, Summary } from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_CONFIG, type Config } from "../config.js";
import type { Timers } from "../push/collapse.js";
import { ScriptedPushService } from "../push/testing/scripted-push.js";
import { ACKED_ENTRIES_MAX } from "../sync/log.js";
import {
  appendTo,
  call,
  type Client,
  connect,
  emitAck,
  eventually,
  listen,
  openDirect,
  register,
  sendHttp,
  type Session,
  startServer,
  type TestServer,
} from "../testing/harness.js";
import type { DeliveryEvents } from "./events.js";

/**
 * The delivery events, as a listener on `ctx.events` hears them, over a real
 * server (SQLite, or PostgreSQL in the server-on-postgres project), real
 * socket.io clients and real HTTP: every call site tells what happened, once.
 */

type Name = keyof DeliveryEvents;
const NAMES: Name[] = ["stored", "pushed", "pulled", "resynced", "acked", "handedOver", "notified", "pushReceipt", "read", "client"];

/** A listener that records every event it hears, by name, with its arguments. */
function recorder() {
  const heard = new Map<Name, unknown[][]>();
  const listener = Object.fromEntries(NAMES.map((name) => [name, (...args: unknown[]) => heard.set(name, [...(heard.get(name) ?? []), args])]));
  return {
    listener: listener as Partial<DeliveryEvents>,
    of<K extends Name>(name: K): Parameters<DeliveryEvents[K]>[] {
      return (heard.get(name) ?? []) as Parameters<DeliveryEvents[K]>[];
    },
  };
}

let server: TestServer;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await server?.dispose();
});

/** The test's clock: the server reads it for every time it records. */
let now = 0;
const T0 = Date.parse("2026-12-01T12:00:00Z");

async function setUp(config: Partial<Config> = {}, push?: ScriptedPushService) {
  now = T0;
  const manual: Timers = { setTimeout: () => null, clearTimeout: () => {} };
  server = await startServer(
    { push: { ...DEFAULT_PUSH_CONFIG, subject: "mailto:ops@courier.example" }, ...config },
    { clock: () => now, ...(push ? { push: { timers: manual, resolve: async () => ["93.184.216.34"], transport: push.transport } } : {}) },
  );
  const rec = recorder();
  server.events.listen(rec.listener);
  const alice = await register(server.app, "alice");
  const bob = await register(server.app, "bob");
  const conv = await openDirect(server.app, alice, bob);
  return { rec, alice, bob, conversationId: conv.conversationId };
}

async function registerDevice(s: Session): Promise<string> {
  const deviceId = randomUUID();
  const res = await call(server.app, "PUT", `/api/devices/${deviceId}`, { token: s.token, body: { protocol: 1, capabilities: ["ack"] } });
  expect(res.status).toBe(200);
  return deviceId;
}

async function liveSocket(s: Session, deviceId: string): Promise<Client> {
  const c = connect(await listen(server), { token: s.token, deviceId, protocol: 1 });
  clients.push(c);
  await c.hello;
  return c;
}

const msgEntry = (c: Client, m: Message) => c.pushed.find((e) => e.k === "msg" && (e.data as { message: Message }).message.id === m.id);
const seqRange = (m: Message) => ({ conversationId: m.conversationId, lo: m.seq, hi: m.seq });

describe("delivery events", () => {
  it("tells of a message stored once, with the device that sent it and when the send arrived; a repeat stores nothing", async () => {
    const { rec, alice, conversationId } = await setUp();
    const deviceId = await registerDevice(alice);
    const body = { clientMsgId: randomUUID(), conversationId, kind: "text", body: "hi" };
    const first = await call<{ message: Message }>(server.app, "POST", "/api/messages", { token: alice.token, body, headers: { "x-device-id": deviceId } });
    expect(first.status).toBe(201);
    const m = first.body.message;
    expect(rec.of("stored")).toEqual([
      [{ messageId: m.id, conversationId, seq: m.seq, senderId: alice.user.id, deviceId, acceptedAt: T0, at: m.at }],
    ]);
    expect((await call(server.app, "POST", "/api/messages", { token: alice.token, body })).status).toBe(200);
    expect(rec.of("stored")).toHaveLength(1);

    // Over the socket: the socket's device.
    now = T0 + 10;
    const c = await liveSocket(alice, deviceId);
    const { message } = await emitAck<{ message: Message }>(c.socket, "send", { ...body, clientMsgId: randomUUID(), body: "by socket" });
    expect(rec.of("stored").at(-1)).toEqual([{ messageId: message.id, conversationId, seq: message.seq, senderId: alice.user.id, deviceId, acceptedAt: T0 + 10, at: T0 + 10 }]);
  });

  it("tells of messages other rules post (a group's system line) once, though every member gets an entry", async () => {
    const { rec, alice, bob } = await setUp();
    const group = await call<{ summary: Summary }>(server.app, "POST", "/api/conversations", {
      token: alice.token,
      body: { type: "group", title: "Climbing", memberIds: [bob.user.id] },
    });
    expect(group.status).toBe(201);
    const conversationId = group.body.summary.conversationId;
    const before = rec.of("stored").length;
    expect((await call(server.app, "PATCH", `/api/conversations/${conversationId}`, { token: alice.token, body: { title: "Bouldering" } })).status).toBe(200);
    const stored = rec.of("stored").slice(before);
    expect(stored).toHaveLength(1);
    expect(stored[0]![0]).toMatchObject({ conversationId, senderId: alice.user.id, acceptedAt: T0, at: T0 });
    expect(stored[0]![0].deviceId).toBeUndefined();
  });

  it("tells of a first push to a live WebSocket, and of the socket's ack with each entry's commit time and place", async () => {
    const { rec, alice, bob, conversationId } = await setUp();
    const deviceId = await registerDevice(bob);
    const c = await liveSocket(bob, deviceId);
    const m = await sendHttp(server.app, alice, conversationId, "over the socket");
    await eventually(() => msgEntry(c, m) !== undefined);
    const entry = msgEntry(c, m)!;
    const pushes = rec.of("pushed").filter(([device, entries]) => device.deviceId === deviceId && entries.some((e) => e.v === entry.v && e.d === "chat"));
    expect(pushes).toHaveLength(1);
    const [pushedTo, pushedEntries, retransmit, pushedAt] = pushes[0]!;
    expect(pushedTo).toEqual({ userId: bob.user.id, deviceId, transport: "ws", connectionId: c.socket.id });
    expect(pushedEntries).toContainEqual(entry);
    expect([retransmit, pushedAt]).toEqual([false, T0]);

    now = T0 + 1500;
    expect(await emitAck(c.socket, "ack", { acks: { chat: entry.v } })).toMatchObject({ ok: true });
    const acked = rec.of("acked").filter(([device]) => device.deviceId === deviceId);
    expect(acked).toHaveLength(1);
    const [device, entries, at] = acked[0]!;
    expect(device).toEqual({ userId: bob.user.id, deviceId, transport: "ws" });
    expect(at).toBe(T0 + 1500);
    // Everything bob's chat held up to the message (the chat's conv entry, then the message), committed at T0; never the data.
    expect(entries.at(-1)).toEqual({ d: "chat", v: entry.v, k: "msg", at: T0, conversationId, seq: m.seq });
    expect(entries.map((e) => e.v)).toEqual(Array.from({ length: entry.v }, (_, i) => i + 1));
    expect(entries.every((e) => !("data" in e))).toBe(true);

    // An ack that moves nothing tells nothing.
    await emitAck(c.socket, "ack", { acks: { chat: entry.v } });
    expect(rec.of("acked").filter(([d]) => d.deviceId === deviceId)).toHaveLength(1);
  });

  it("tells of an HTTP ack without a transport, and of a poll's cursor as a poll ack", async () => {
    const { rec, alice, bob, conversationId } = await setUp();
    const deviceId = await registerDevice(bob);
    const m = await sendHttp(server.app, alice, conversationId);
    const head = (await call<{ head: number }>(server.app, "GET", "/api/sync/chat?after=0", { token: bob.token })).body.head;
    const headers = { "x-device-id": deviceId };
    expect((await call(server.app, "POST", "/api/sync/ack", { token: bob.token, headers, body: { acks: { chat: head - 1 } } })).status).toBe(200);
    expect(rec.of("acked").at(-1)![0]).toEqual({ userId: bob.user.id, deviceId });
    const cursor = `chat:${head}`;
    expect((await call(server.app, "GET", `/api/poll?device=${deviceId}&cursor=${cursor}&wait=0`, { token: bob.token })).status).toBe(200);
    const [device, entries] = rec.of("acked").at(-1)!;
    expect(device).toEqual({ userId: bob.user.id, deviceId, transport: "poll" });
    expect(entries).toEqual([{ d: "chat", v: head, k: "msg", at: T0, conversationId, seq: m.seq }]);
  });

  it("marks what a device acks that was committed before it registered (its snapshot's history) as catch-up", async () => {
    const { rec, alice, bob, conversationId } = await setUp();
    const old = await sendHttp(server.app, alice, conversationId);
    now = T0 + 60_000;
    const deviceId = await registerDevice(bob);
    const fresh = await sendHttp(server.app, alice, conversationId);
    const head = (await call<{ head: number }>(server.app, "GET", "/api/sync/chat?after=0", { token: bob.token })).body.head;
    const headers = { "x-device-id": deviceId };
    expect((await call(server.app, "POST", "/api/sync/ack", { token: bob.token, headers, body: { acks: { chat: head } } })).status).toBe(200);
    const [, entries] = rec.of("acked").at(-1)!;
    const bySeq = (seq: number) => entries.find((e) => e.conversationId === conversationId && e.seq === seq);
    expect(bySeq(old.seq)).toMatchObject({ at: T0, catchUp: true });
    expect(bySeq(fresh.seq)).toEqual(expect.not.objectContaining({ catchUp: true }));
  });

  it("tells of at most ACKED_ENTRIES_MAX newly acked entries per ack, the newest", async () => {
    const { rec, bob } = await setUp();
    const deviceId = await registerDevice(bob);
    const appended = await appendTo(server, bob.user.id, "system", ACKED_ENTRIES_MAX + 5);
    const head = appended.at(-1)!.v;
    const headers = { "x-device-id": deviceId };
    expect((await call(server.app, "POST", "/api/sync/ack", { token: bob.token, headers, body: { acks: { system: head } } })).status).toBe(200);
    const [, entries] = rec.of("acked").at(-1)!;
    expect(entries).toHaveLength(ACKED_ENTRIES_MAX);
    expect(entries[0]).toMatchObject({ d: "system", v: head - ACKED_ENTRIES_MAX + 1, k: "notice" });
    expect(entries.at(-1)!.v).toBe(head);
  });

  it("tells of a re-push after a missing ack as a retransmission, never as a second first push", async () => {
    const { rec, alice, bob, conversationId } = await setUp({ retry: { baseMs: 100, stepMs: 100, maxMs: 300, lifetimeMs: 60_000 } });
    const deviceId = await registerDevice(bob);
    const c = await liveSocket(bob, deviceId);
    const m = await sendHttp(server.app, alice, conversationId, "ack me");
    await eventually(() => c.pushed.filter((e) => e.k === "msg").length >= 2);
    const entry = msgEntry(c, m)!;
    const of = (retransmit: boolean) =>
      rec.of("pushed").filter(([d, entries, re]) => d.deviceId === deviceId && re === retransmit && entries.some((e) => e.d === "chat" && e.v === entry.v));
    await eventually(() => of(true).length >= 1);
    expect(of(true)[0]![0]).toEqual({ userId: bob.user.id, deviceId, transport: "ws", connectionId: c.socket.id });
    expect(of(true)[0]![1]).toContainEqual(entry);
    expect(of(false)).toHaveLength(1);
    await emitAck(c.socket, "ack", { acks: { chat: entry.v } });
  });

  it("tells of a device handed over to Web Push with the messages it had not acked", async () => {
    const { rec, alice, bob, conversationId } = await setUp();
    const deviceId = await registerDevice(bob);
    const c = await liveSocket(bob, deviceId);
    const m1 = await sendHttp(server.app, alice, conversationId, "one");
    const m2 = await sendHttp(server.app, alice, conversationId, "two");
    await eventually(() => msgEntry(c, m2) !== undefined && server.retransmit.waiting === 1);
    c.socket.disconnect();
    await eventually(() => rec.of("handedOver").length > 0);
    expect(rec.of("handedOver")).toEqual([[{ userId: bob.user.id, deviceId }, "disconnected", [{ conversationId, lo: m1.seq, hi: m2.seq }], T0]]);
  });

  it("tells of pulls with the device that pulled (socket and HTTP), of a reset and of a snapshot", async () => {
    const { rec, alice, bob, conversationId } = await setUp({ ringCapacity: 3 });
    const deviceId = await registerDevice(bob);
    const m = await sendHttp(server.app, alice, conversationId);
    const c = await liveSocket(bob, deviceId);
    const page = await emitAck<{ entries: Entry[] }>(c.socket, "pull", { d: "chat", after: 0 });
    expect(page.entries.length).toBeGreaterThan(0);
    expect(rec.of("pulled")).toEqual([[bob.user.id, deviceId, page.entries, T0]]);

    const http = await call<{ entries: Entry[] }>(server.app, "GET", "/api/sync/chat?after=0", { token: bob.token, headers: { "x-device-id": deviceId } });
    expect(rec.of("pulled").at(-1)).toEqual([bob.user.id, deviceId, http.body.entries, T0]);
    await call(server.app, "GET", "/api/sync/chat?after=0", { token: bob.token });
    expect(rec.of("pulled").at(-1)![1]).toBeNull();
    expect(http.body.entries.some((e) => e.k === "msg" && (e.data as { message: Message }).message.id === m.id)).toBe(true);

    // Past the ring: a reset, not a pull.
    const pulls = rec.of("pulled").length;
    for (let i = 0; i < 4; i++) await sendHttp(server.app, alice, conversationId);
    const reset = await call<{ reset: boolean }>(server.app, "GET", "/api/sync/chat?after=0", { token: bob.token });
    expect(reset.body.reset).toBe(true);
    expect(rec.of("pulled")).toHaveLength(pulls);
    expect(rec.of("resynced")).toEqual([[bob.user.id, "reset", T0]]);

    expect((await call(server.app, "GET", "/api/sync/snapshot", { token: bob.token })).status).toBe(200);
    expect(rec.of("resynced").at(-1)).toEqual([bob.user.id, "snapshot", T0]);
  });

  it("tells of a read position that moved, once, after it committed", async () => {
    const { rec, alice, bob, conversationId } = await setUp();
    await sendHttp(server.app, alice, conversationId);
    const m = await sendHttp(server.app, alice, conversationId);
    now = T0 + 60_000;
    const read = () => call(server.app, "POST", `/api/conversations/${conversationId}/read`, { token: bob.token, body: { seq: m.seq } });
    expect((await read()).status).toBe(200);
    expect(rec.of("read")).toEqual([[bob.user.id, { conversationId, lo: 1, hi: m.seq }, T0 + 60_000]]);
    expect((await read()).status).toBe(200);
    expect(rec.of("read")).toHaveLength(1);
  });

  it("tells of a notification the push service accepted, and of its receipt, with the device and the messages", async () => {
    const push = new ScriptedPushService();
    const { rec, alice, bob, conversationId } = await setUp({}, push);
    const dev = await push.subscribe(server.app, bob);
    const m = await sendHttp(server.app, alice, conversationId, "while you were away");
    await server.push.quiet();
    server.push.flushWindows();
    await server.push.idle();
    const [sent] = push.to(dev.endpoint);
    expect(sent).toBeDefined();
    expect(rec.of("notified")).toEqual([[{ userId: bob.user.id, deviceId: dev.deviceId }, "chat", [seqRange(m)], T0]]);

    now = T0 + 5000;
    expect((await call(server.app, "POST", "/api/push/receipts", { body: { id: sent!.id, event: "displayed" } })).status).toBe(204);
    expect((await call(server.app, "POST", "/api/push/receipts", { body: { id: sent!.id, event: "displayed" } })).status).toBe(204);
    expect(rec.of("pushReceipt")).toEqual([[{ userId: bob.user.id, deviceId: dev.deviceId }, "displayed", "chat", [seqRange(m)], T0 + 5000]]);
  });

  it("keeps delivering when a listener throws: the send succeeds and the other listeners still hear it", async () => {
    const { rec, alice, conversationId } = await setUp();
    server.events.listen({
      stored() {
        throw new Error("a broken listener");
      },
    });
    const after = recorder();
    server.events.listen(after.listener);
    const m = await sendHttp(server.app, alice, conversationId);
    expect(rec.of("stored").at(-1)![0].messageId).toBe(m.id);
    expect(after.of("stored").at(-1)![0].messageId).toBe(m.id);
  });
});
