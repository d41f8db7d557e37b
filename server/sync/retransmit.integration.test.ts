import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { type Entry, parseCursor, type Versions } from "../../shared/protocol/index.js";
import type { Config } from "../config.js";
import {
  appendTo,
  call,
  connect,
  type Client,
  emitAck,
  eventually,
  listen,
  openDirect,
  register,
  sendHttp,
  startServer,
  type Session,
  type TestServer,
} from "../testing/harness.js";
import { openStream, type SseClient } from "../testing/sse-client.js";

/** Retransmission end to end: a real server, real socket.io and SSE clients that ack or don't. */

let server: TestServer;
const clients: Client[] = [];
const streams: SseClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  for (const s of streams.splice(0)) s.close();
  await server?.dispose();
});

const FAST: Config["retry"] = { baseMs: 100, stepMs: 100, maxMs: 300, lifetimeMs: 60_000 };

async function setUp(retry: Config["retry"] = FAST) {
  server = await startServer({ retry });
  const url = await listen(server);
  const alice = await register(server.app, "alice");
  const bob = await register(server.app, "bob");
  const conv = await openDirect(server.app, alice, bob);
  return { url, alice, bob, conversationId: conv.conversationId };
}

async function registerDevice(s: Session, capabilities: string[] = ["ack"]): Promise<string> {
  const deviceId = randomUUID();
  const res = await call(server.app, "PUT", `/api/devices/${deviceId}`, { token: s.token, body: { protocol: 1, capabilities } });
  expect(res.status).toBe(200);
  return deviceId;
}

function socketOf(url: string, s: Session, deviceId: string): Client {
  const c = connect(url, { token: s.token, deviceId, protocol: 1 });
  clients.push(c);
  return c;
}

const copies = (c: Client, v: number, d = "chat") => c.pushed.filter((e) => e.d === d && e.v === v).length;

describe("retransmission over WebSocket", () => {
  it("re-pushes an unacked push until the device acks it, then stops", async () => {
    const { url, alice, bob, conversationId } = await setUp();
    const c = socketOf(url, alice, await registerDevice(alice));
    await c.hello;
    await sendHttp(server.app, bob, conversationId, "are you there?");
    const v = (await c.hello).heads.chat + 1;
    await eventually(() => copies(c, v) >= 4); // the push and three re-pushes at the base delay
    expect(c.pushed.every((e) => e.v === v)).toBe(true);

    const res = await emitAck<{ ok: boolean }>(c.socket, "ack", { acks: { chat: v } });
    expect(res.ok).toBe(true);
    expect(server.retransmit.waiting).toBe(0);
    const seen = copies(c, v);
    await sleep(5 * FAST.baseMs);
    expect(copies(c, v)).toBe(seen);
    expect(server.delivery.snapshot()).toMatchObject({ giveUps: 0, handOvers: 0 });
    expect(server.delivery.retries).toBeGreaterThanOrEqual(3);
    expect(server.delivery.entriesRepushed).toBe(seen - 1);
    expect(server.delivery.acks).toBeGreaterThanOrEqual(1);
  });

  it("gives up after the lifetime: counted and handed over, the socket stays open", async () => {
    const { url, alice, bob, conversationId } = await setUp({ ...FAST, lifetimeMs: 600 });
    const c = socketOf(url, alice, await registerDevice(alice));
    await c.hello;
    await sendHttp(server.app, bob, conversationId, "hello?");
    await eventually(() => server.delivery.giveUps === 1);
    expect(server.delivery.handOvers).toBe(1);
    const seen = c.pushed.length;
    await sleep(5 * FAST.baseMs);
    expect(c.pushed.length).toBe(seen);
    expect(c.socket.connected).toBe(true);
  });

  it("does not retransmit to a device without the ack capability", async () => {
    const { url, alice, bob, conversationId } = await setUp();
    const c = socketOf(url, alice, await registerDevice(alice, []));
    await c.hello;
    await sendHttp(server.app, bob, conversationId, "one");
    await eventually(() => c.pushed.length === 1);
    await sleep(5 * FAST.baseMs);
    expect(c.pushed).toHaveLength(1);
    expect(server.delivery.retries).toBe(0);
  });
});

describe("retransmission over SSE", () => {
  it("re-pushes on the stream without moving its id backwards; an HTTP ack stops it", async () => {
    const { url, alice } = await setUp();
    const deviceId = await registerDevice(alice);
    const s = await openStream(`${url}/api/stream?device=${deviceId}`, { authorization: `Bearer ${alice.token}` });
    streams.push(s);
    await s.next((e) => e.event === "hello");
    await appendTo(server, alice.user.id, "system", 3);
    const pushes = () => s.events.filter((e) => e.event === "push");
    const systemCopies = () => pushes().flatMap((e) => JSON.parse(e.data) as Entry[]).filter((e) => e.d === "system").length;
    await eventually(() => systemCopies() >= 9); // the push and two re-pushes of all three

    let highest: Versions = parseCursor("")!;
    for (const e of pushes()) {
      const id = parseCursor(e.id!)!;
      for (const d of ["chat", "system", "marketing"] as const) expect(id[d]).toBeGreaterThanOrEqual(highest[d]);
      highest = id;
    }
    expect(highest.system).toBe(3);

    const ack = await call(server.app, "POST", "/api/sync/ack", { token: alice.token, headers: { "x-device-id": deviceId }, body: { acks: { system: 3 } } });
    expect(ack.status).toBe(200);
    expect(server.retransmit.waiting).toBe(0);
    const seen = systemCopies();
    await sleep(5 * FAST.baseMs);
    expect(systemCopies()).toBe(seen);
  });
});

describe("long-poll", () => {
  it("is never retransmitted to: the next poll's cursor is the ack", async () => {
    const { alice, bob, conversationId } = await setUp();
    const deviceId = await registerDevice(alice);
    const first = await call<{ cursor: string }>(server.app, "GET", `/api/poll?device=${deviceId}&wait=0`, { token: alice.token });
    expect(first.status).toBe(200);
    await sendHttp(server.app, bob, conversationId, "poll me");
    await sleep(5 * FAST.baseMs);
    expect(server.retransmit.size).toBe(0);
    expect(server.delivery.snapshot()).toMatchObject({ pushes: 0, retries: 0, giveUps: 0, handOvers: 0 });
  });
});
