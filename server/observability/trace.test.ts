import { randomUUID } from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Message } from "../../shared/protocol/index.js";
import { ConfigError, DEFAULT_PUSH_CONFIG, DEFAULT_TRACE_CONFIG, loadConfig } from "../config.js";
import type { Timers } from "../push/collapse.js";
import { type PushReceiver, startPushReceiver } from "../push/testing/push-receiver.js";
import { makeSubscriber } from "../push/testing/web-push-client.js";
import { DB_FILE } from "../storage/sqlite/open.js";
import { openTestStorage, testEngine } from "../testing/engines.js";
import {
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
import type { MessageTrace } from "./trace-routes.js";
import { IDLE_PRUNE_FLUSHES, TraceRecorder } from "./trace.js";

/**
 * The message trace over a real server (docs/observability.md "Trace"): what
 * GET /api/admin/messages/:id/trace shows after real traffic, on the engine
 * the suite runs on (both: `npm test` runs the server suites on SQLite and on
 * PostgreSQL). `trace.flush()` stands in for the flush timer.
 */

const ADMIN_TOKEN = "trace-test-admin-token-0c1d2e3f";
const NODE = "trace-node-1";
const SECRET = "okapi-saffron-9137 the text must never reach the trace";

/** Collapse windows close when the test says so. */
const windowTimers: Timers = { setTimeout: () => null, clearTimeout: () => {} };

let server: TestServer | undefined;
let receiver: PushReceiver | undefined;
const sockets: Client[] = [];
afterEach(async () => {
  for (const c of sockets.splice(0)) c.socket.disconnect();
  await server?.dispose();
  await receiver?.close();
  server = receiver = undefined;
});

async function start(config: Parameters<typeof startServer>[0] = {}, opts: Parameters<typeof startServer>[1] = {}): Promise<TestServer> {
  server = await startServer({ adminToken: ADMIN_TOKEN, nodeId: NODE, heartbeatMs: 60_000, ...config }, opts);
  return server;
}

async function traceOf(s: TestServer, messageId: string) {
  await s.trace.flush();
  return call<MessageTrace>(s.app, "GET", `/api/admin/messages/${messageId}/trace`, { token: ADMIN_TOKEN });
}

/** Runs SQL on the server's database itself, past the app (SQLite file or PostgreSQL schema). */
async function rawSql(s: TestServer, sql: string): Promise<Record<string, unknown>[]> {
  if (s.config.databaseUrl) {
    const client = new pg.Client({ connectionString: s.config.databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  }
  const db = new Database(path.join(s.dir, DB_FILE));
  try {
    const statement = db.prepare(sql);
    return statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []);
  } finally {
    db.close();
  }
}

async function device(s: TestServer, who: Session, extra: Record<string, unknown> = {}): Promise<string> {
  const id = randomUUID();
  const res = await call(s.app, "PUT", `/api/devices/${id}`, { token: who.token, body: { protocol: 1, capabilities: ["ack"], ...extra } });
  expect(res.status).toBe(200);
  return id;
}

const carries = (entries: Entry[], m: Message) => entries.some((e) => (e.data as { message?: Message } | null)?.message?.id === m.id);

describe("message trace", () => {
  it("a message to a device live on WebSocket: stored → pushed (ws, this node) → acked, and no text in trace_events", async () => {
    const s = await start();
    const url = await listen(s);
    const alice = await register(s.app);
    const bob = await register(s.app);
    const conv = await openDirect(s.app, alice, bob);
    const bobDevice = await device(s, bob);
    const ws = connect(url, { token: bob.token, deviceId: bobDevice, protocol: 1 });
    sockets.push(ws);
    await ws.hello;

    const sent = await sendHttp(s.app, alice, conv.conversationId, SECRET);
    await eventually(() => carries(ws.pushed, sent));
    const entry = ws.pushed.find((e) => carries([e], sent))!;
    expect(await emitAck(ws.socket, "ack", { acks: { chat: entry.v } })).toMatchObject({ ok: true });

    const res = await traceOf(s, sent.id);
    expect(res.status).toBe(200);
    expect(res.body.message).toEqual({ id: sent.id, conversationId: conv.conversationId, seq: sent.seq, senderId: alice.user.id, at: sent.at });
    expect(res.body.events.map((e) => e.event)).toEqual(["stored", "pushed", "acked"]);
    expect(res.body.events[0]).toMatchObject({ userId: alice.user.id, node: NODE });
    expect(res.body.events[1]).toMatchObject({ userId: bob.user.id, deviceId: bobDevice, transport: "ws", node: NODE });
    expect(res.body.events[2]).toMatchObject({ userId: bob.user.id, deviceId: bobDevice, node: NODE });
    const times = res.body.events.map((e) => e.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // A later message acked by the same device: the first message's trace still shows its first ack only.
    const later = await sendHttp(s.app, alice, conv.conversationId, "later");
    await eventually(() => carries(ws.pushed, later));
    expect(await emitAck(ws.socket, "ack", { acks: { chat: Math.max(...ws.pushed.map((e) => e.v)) } })).toMatchObject({ ok: true });
    expect((await traceOf(s, sent.id)).body.events.filter((e) => e.event === "acked").map((e) => e.at)).toEqual([res.body.events[2]!.at]);

    const rows = await rawSql(s, "SELECT * FROM trace_events");
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(rows)).not.toContain("okapi");
  });

  it("a device that was offline pulls the message: stored → pulled → acked (no push)", async () => {
    const s = await start();
    const alice = await register(s.app);
    const bob = await register(s.app);
    const conv = await openDirect(s.app, alice, bob);
    const bobDevice = await device(s, bob);
    const sent = await sendHttp(s.app, alice, conv.conversationId, "while you were away");

    const pulled = await call<{ entries: Entry[]; head: number }>(s.app, "GET", "/api/sync/chat?after=0&limit=500", {
      token: bob.token,
      headers: { "x-device-id": bobDevice },
    });
    expect(pulled.status).toBe(200);
    expect(carries(pulled.body.entries, sent)).toBe(true);
    const acked = await call(s.app, "POST", "/api/sync/ack", { token: bob.token, headers: { "x-device-id": bobDevice }, body: { acks: { chat: pulled.body.head } } });
    expect(acked.status).toBe(200);

    const res = await traceOf(s, sent.id);
    expect(res.status).toBe(200);
    expect(res.body.events.map((e) => e.event)).toEqual(["stored", "pulled", "acked"]);
    expect(res.body.events[1]).toMatchObject({ userId: bob.user.id, deviceId: bobDevice, node: NODE });
    expect(res.body.events[2]).toMatchObject({ userId: bob.user.id, deviceId: bobDevice });
  });

  it("a device that drops its connection without acking is handed over to Web Push: handed_over, then notified", async () => {
    receiver = await startPushReceiver();
    const s = await start({ push: { ...DEFAULT_PUSH_CONFIG, allowHosts: ["127.0.0.1"] } }, { push: { agent: receiver.agent, timers: windowTimers } });
    const url = await listen(s);
    const alice = await register(s.app);
    const bob = await register(s.app);
    const conv = await openDirect(s.app, alice, bob);
    const subscriber = makeSubscriber(receiver.endpoint("/push/trace-bob"));
    const bobDevice = await device(s, bob, { notification: "granted", push: subscriber.subscription });
    const ws = connect(url, { token: bob.token, deviceId: bobDevice, protocol: 1 });
    await ws.hello;

    const sent = await sendHttp(s.app, alice, conv.conversationId, "are you there?");
    await eventually(() => carries(ws.pushed, sent));
    ws.socket.disconnect();
    await eventually(() => s.hub.connectionsOf(bob.user.id).length === 0);
    await eventually(() => s.delivery.snapshot().handOvers > 0);
    await s.push.quiet();
    s.push.flushWindows();
    await s.push.idle();
    await eventually(() => receiver!.received.length > 0);
    // The hand-over's event follows a read of what the device lacked, and `notified` the push service's answer.
    await eventually(async () => (await traceOf(s, sent.id)).body.events.length >= 4);

    const res = await traceOf(s, sent.id);
    expect(res.status).toBe(200);
    expect(res.body.events.map((e) => e.event)).toEqual(["stored", "pushed", "handed_over", "notified"]);
    expect(res.body.events[2]).toMatchObject({ userId: bob.user.id, deviceId: bobDevice, node: NODE });
    expect(res.body.events[3]).toMatchObject({ userId: bob.user.id, deviceId: bobDevice, node: NODE });
  });

  it("answers 404 once the message is older than TRACE_KEEP_MS, and its rows are pruned; 400 for a malformed id, 401 without the token", async () => {
    let now = Date.UTC(2026, 0, 1);
    const keepMs = 60_000;
    // The timer never flushes here: only the test's flushes count towards the idle prune.
    const s = await start({ trace: { ...DEFAULT_TRACE_CONFIG, keepMs, flushMs: 3_600_000 } }, { clock: () => now });
    const alice = await register(s.app);
    const bob = await register(s.app);
    const conv = await openDirect(s.app, alice, bob);
    const sent = await sendHttp(s.app, alice, conv.conversationId, "soon forgotten");
    expect((await traceOf(s, sent.id)).body.events.map((e) => e.event)).toEqual(["stored"]);
    expect(await s.storage.read(async (r) => r.trace.forMessage(conv.conversationId, sent.seq))).toHaveLength(1);

    now += keepMs + 1;
    const old = await traceOf(s, sent.id);
    expect(old.status).toBe(404);
    expect(old.body).toMatchObject({ error: { code: "not_found" } });
    // An idle process prunes every IDLE_PRUNE_FLUSHES flushes.
    for (let i = 0; i < IDLE_PRUNE_FLUSHES; i++) await s.trace.flush();
    expect(await s.storage.read(async (r) => r.trace.forMessage(conv.conversationId, sent.seq))).toEqual([]);

    expect((await traceOf(s, randomUUID())).status).toBe(404);
    expect((await call(s.app, "GET", `/api/admin/messages/${"x".repeat(500)}/trace`, { token: ADMIN_TOKEN })).status).toBe(400);
    expect((await call(s.app, "GET", `/api/admin/messages/${sent.id}/trace`, { token: alice.token })).status).toBe(401);
  });

  it("drops and counts what does not fit in the buffer (courier_trace_dropped_total), keeping what does", async () => {
    const s = await start({ trace: { ...DEFAULT_TRACE_CONFIG, bufferMax: 2 } });
    const alice = await register(s.app);
    const bob = await register(s.app);
    const conv = await openDirect(s.app, alice, bob);
    await s.trace.flush();
    const sent = await Promise.all([1, 2, 3].map((i) => sendHttp(s.app, alice, conv.conversationId, `m${i}`)));
    expect(s.trace.pending).toBe(2);
    expect(s.trace.dropped.buffer_full).toBe(1);
    const text = await s.metrics.registry.getSingleMetricAsString("courier_trace_dropped_total");
    expect(text).toContain('courier_trace_dropped_total{reason="buffer_full"} 1');
    const traced = await Promise.all(sent.map(async (m) => (await traceOf(s, m.id)).body.events.length));
    expect(traced.sort()).toEqual([0, 1, 1]);
  });

  it("a trace write that fails drops its batch, warns once and never disturbs chat", async () => {
    const warnings: string[] = [];
    const s = await start({}, { logger: { level: "warn", stream: { write: (line: string) => void warnings.push(line) } } });
    const alice = await register(s.app);
    const bob = await register(s.app);
    const conv = await openDirect(s.app, alice, bob);
    await s.trace.flush();
    // The table goes away under the running server: every trace write now fails in the database.
    await rawSql(s, "DROP TABLE trace_events");
    for (const text of ["one", "two"]) {
      await sendHttp(s.app, alice, conv.conversationId, text);
      await expect(s.trace.flush()).resolves.toBeUndefined();
    }
    expect(s.trace.dropped.write_failed).toBe(2);
    expect(warnings.filter((l) => l.includes("message trace: a write failed"))).toHaveLength(1);
    // Chat goes on: Bob still gets both messages.
    const pulled = await call<{ entries: Entry[] }>(s.app, "GET", "/api/sync/chat?after=0&limit=500", { token: bob.token });
    expect(pulled.body.entries.filter((e) => e.k === "msg")).toHaveLength(2);
    expect(await sendHttp(s.app, bob, conv.conversationId, "still here")).toMatchObject({ body: "still here" });
  });
});

describe("TraceRecorder", () => {
  it("with the database gone, a flush resolves, counts its rows as write_failed and close() does not throw", async () => {
    const { storage, dispose } = await openTestStorage(testEngine);
    const registry = new Registry();
    const warned: string[] = [];
    const recorder = new TraceRecorder({
      storage,
      nodeId: "n",
      config: DEFAULT_TRACE_CONFIG,
      clock: () => 1000,
      log: { warn: (_obj, msg) => void warned.push(msg) },
      registry,
    });
    recorder.listener.read!("u1", { conversationId: "c1", lo: 3, hi: 3 }, 1000);
    await recorder.flush();
    expect(await storage.read(async (r) => r.trace.forMessage("c1", 1))).toMatchObject([{ event: "read", seqLo: 1, seqHi: 3, userId: "u1" }]);
    await dispose();
    recorder.listener.read!("u1", { conversationId: "c1", lo: 4, hi: 4 }, 1001);
    await expect(recorder.flush()).resolves.toBeUndefined();
    await expect(recorder.close()).resolves.toBeUndefined();
    expect(recorder.dropped.write_failed).toBe(1);
    expect(warned).toHaveLength(1);
    expect(await registry.getSingleMetricAsString("courier_trace_dropped_total")).toContain('courier_trace_dropped_total{reason="write_failed"} 1');
  });
});

describe("TraceRecorder rows", () => {
  it("turns each delivery event into rows keyed by conversation and seq range (acks and reads as 1..hi)", async () => {
    const { storage, dispose } = await openTestStorage(testEngine);
    const recorder = new TraceRecorder({ storage, nodeId: "n1", config: DEFAULT_TRACE_CONFIG, clock: () => 50, log: { warn: () => {} } });
    try {
      const msg = (conversationId: string, seq: number): Entry =>
        ({ d: "chat", v: seq, k: "msg", at: 1, data: { message: { id: `m${seq}`, conversationId, seq } } }) as Entry;
      const bob = { userId: "bob", deviceId: "phone" };
      const l = recorder.listener;
      l.stored!({ messageId: "m2", conversationId: "c", seq: 2, senderId: "ann", deviceId: "laptop", acceptedAt: 9, at: 10 });
      l.pushed!({ ...bob, transport: "sse", connectionId: "k" }, [msg("c", 1), msg("c", 2), msg("d", 7), { d: "chat", v: 9, k: "conv", at: 1, data: {} }], false, 11);
      l.pushed!({ ...bob, transport: "sse", connectionId: "k" }, [msg("c", 2)], true, 12);
      l.pulled!("bob", null, [msg("c", 2), msg("c", 3)], 13);
      l.acked!({ ...bob, transport: "sse" }, [{ d: "chat", v: 3, at: 1, conversationId: "c", seq: 2 }, { d: "chat", v: 4, at: 1, conversationId: "c", seq: 3 }, { d: "system", v: 1, at: 1 }], 14);
      l.handedOver!(bob, "gave_up", [{ conversationId: "c", lo: 2, hi: 2 }], 15);
      l.notified!(bob, "chat", [{ conversationId: "c", lo: 2, hi: 2 }], 16);
      l.pushReceipt!(bob, "displayed", "chat", [{ conversationId: "c", lo: 2, hi: 2 }], 17);
      l.pushReceipt!(null, "clicked", "chat", [{ conversationId: "c", lo: 2, hi: 2 }], 18);
      l.read!("bob", { conversationId: "c", lo: 2, hi: 2 }, 19);
      await recorder.flush();
      const rows = (await storage.read(async (r) => r.trace.forMessage("c", 2))).sort((a, b) => a.at - b.at);
      const who = { userId: "bob", deviceId: "phone", node: "n1" };
      expect(rows).toEqual([
        { conversationId: "c", seqLo: 2, seqHi: 2, at: 10, event: "stored", userId: "ann", deviceId: "laptop", transport: null, node: "n1" },
        { conversationId: "c", seqLo: 1, seqHi: 2, at: 11, event: "pushed", ...who, transport: "sse" },
        { conversationId: "c", seqLo: 2, seqHi: 2, at: 12, event: "retransmitted", ...who, transport: "sse" },
        { conversationId: "c", seqLo: 2, seqHi: 3, at: 13, event: "pulled", userId: "bob", deviceId: null, transport: null, node: "n1" },
        { conversationId: "c", seqLo: 1, seqHi: 3, at: 14, event: "acked", ...who, transport: "sse" },
        { conversationId: "c", seqLo: 2, seqHi: 2, at: 15, event: "handed_over", ...who, transport: null },
        { conversationId: "c", seqLo: 2, seqHi: 2, at: 16, event: "notified", ...who, transport: null },
        { conversationId: "c", seqLo: 2, seqHi: 2, at: 17, event: "displayed", ...who, transport: null },
        { conversationId: "c", seqLo: 2, seqHi: 2, at: 18, event: "clicked", userId: null, deviceId: null, transport: null, node: "n1" },
        { conversationId: "c", seqLo: 1, seqHi: 2, at: 19, event: "read", userId: "bob", deviceId: null, transport: null, node: "n1" },
      ]);
      expect(await storage.read(async (r) => r.trace.forMessage("d", 7))).toMatchObject([{ event: "pushed", seqLo: 7, seqHi: 7 }]);
    } finally {
      await recorder.close();
      await dispose();
    }
  });
});

describe("TRACE_* settings", () => {
  it("default to a 1 s flush, 50,000 rows and an hour; bad values are refused by name", () => {
    expect(loadConfig({}).trace).toEqual({ flushMs: 1000, bufferMax: 50_000, keepMs: 3_600_000 });
    expect(loadConfig({ TRACE_FLUSH_MS: "250", TRACE_BUFFER_MAX: "0", TRACE_KEEP_MS: "600000" }).trace).toEqual({ flushMs: 250, bufferMax: 0, keepMs: 600_000 });
    for (const [name, value] of [["TRACE_FLUSH_MS", "0"], ["TRACE_BUFFER_MAX", "-1"], ["TRACE_KEEP_MS", "1000"], ["TRACE_KEEP_MS", "1h"]] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(name);
    }
  });
});
