import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { PING_PATH, type StreamClose } from "../../shared/protocol/index.js";
import { hashToken } from "../auth/tokens.js";
import type { Config } from "../config.js";
import type { BuildOptions } from "../app.js";
import { SESSION_RECHECK_MS } from "./ws/ws-transport.js";
import { call, connect, type Client, emitAck, eventually, listen, openDirect, register, sendHttp, startServer, type Session, type TestServer } from "../testing/harness.js";
import { openStream, type SseClient } from "../testing/sse-client.js";

/** Liveness and "please back off" end to end: heartbeats, dead connections, close events. */

let server: TestServer;
const clients: Client[] = [];
const streams: SseClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  for (const s of streams.splice(0)) s.close();
  await server?.dispose();
});

async function setUp(config: Partial<Config> = {}, opts: Omit<BuildOptions, "config"> = {}) {
  server = await startServer(config, opts);
  const url = await listen(server);
  const alice = await register(server.app, "alice");
  return { url, alice };
}

function socketOf(url: string, s: Session, deviceId = randomUUID()): Client {
  const c = connect(url, { token: s.token, deviceId, protocol: 1 });
  clients.push(c);
  return c;
}

async function streamOf(url: string, s: Session, query: string): Promise<SseClient> {
  const stream = await openStream(`${url}/api/stream?${query}`, { authorization: `Bearer ${s.token}` });
  streams.push(stream);
  await stream.next((e) => e.event === "hello");
  return stream;
}

/** Resolves with the `close` event the server sent before it disconnected the socket. */
function closedWith(c: Client): Promise<StreamClose | undefined> {
  return new Promise((resolve) => {
    c.socket.once("disconnect", () => resolve(c.events.find((e) => e.name === "close")?.args[0] as StreamClose | undefined));
  });
}

/**
 * Makes the client stop answering socket.io's pings, as a link that died
 * without a FIN would; returns how many pings it has left unanswered so far.
 */
function stopAnsweringPings(c: Client): () => number {
  const engine = c.socket.io.engine as unknown as { _sendPacket(type: string, ...rest: unknown[]): void; on(ev: "ping", fn: () => void): void };
  const send = engine._sendPacket.bind(engine);
  engine._sendPacket = (type, ...rest) => {
    if (type !== "pong") send(type, ...rest);
  };
  let unanswered = 0;
  engine.on("ping", () => unanswered++);
  return () => unanswered;
}

describe("WebSocket liveness", () => {
  it("drops a socket that stops answering pings after two heartbeats, counts it dead and hands its unacked pushes over", async () => {
    const { url, alice } = await setUp({ heartbeatMs: 200 });
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    const deviceId = randomUUID();
    await call(server.app, "PUT", `/api/devices/${deviceId}`, { token: alice.token, body: { protocol: 1, capabilities: ["ack"] } });
    const c = socketOf(url, alice, deviceId);
    await c.hello;
    await sendHttp(server.app, bob, conv.conversationId, "unacked");
    await eventually(() => c.pushed.length === 1);

    const unanswered = stopAnsweringPings(c);
    await eventually(() => server.delivery.deadConnections.ws === 1, 5000);
    // Dropped for a ping it left unanswered (one heartbeat to send it, one to wait for the pong), not before.
    expect(unanswered()).toBeGreaterThanOrEqual(1);
    expect(server.hub.size).toBe(0);
    await eventually(() => server.delivery.handOvers === 1);
  });

  it("answers the heartbeat event with {ok, at}; a bad payload gets bad_request, an ended session unauthorized and a close", async () => {
    let skew = 0;
    const { url, alice } = await setUp({}, { clock: () => Date.now() + skew });
    const c = socketOf(url, alice);
    await c.hello;
    const before = Date.now();
    const res = await emitAck<{ ok: boolean; at: number }>(c.socket, "heartbeat", { echo: "h1" });
    expect(res).toEqual({ ok: true, at: expect.any(Number) });
    expect(res.at).toBeGreaterThanOrEqual(before);
    expect(await emitAck(c.socket, "heartbeat", {})).toMatchObject({ ok: true });
    // The callback alone, without a payload.
    const bare = await new Promise((resolve) => (c.socket.emit as (ev: string, cb: (r: unknown) => void) => void)("heartbeat", resolve));
    expect(bare).toMatchObject({ ok: true });
    for (const bad of [{ echo: 5 }, { echo: "x".repeat(65) }, { other: 1 }, "ping", [1]]) {
      expect(await emitAck(c.socket, "heartbeat", bad)).toMatchObject({ ok: false, error: { code: "bad_request" } });
    }
    // A heartbeat without a callback is harmless.
    (c.socket.emit as (ev: string, p: unknown) => void)("heartbeat", {});

    const session = await server.storage.read(async (r) => r.sessions.find(hashToken(alice.token), Date.now()));
    await server.storage.write(async (tx) => tx.sessions.delete(session!.sessionId));
    // Ended behind the hub's back: the socket reads its session again once its last reading is SESSION_RECHECK_MS old.
    skew = SESSION_RECHECK_MS;
    const closed = closedWith(c);
    expect(await emitAck(c.socket, "heartbeat", {})).toMatchObject({ ok: false, error: { code: "unauthorized" } });
    expect(await closed).toEqual({ reason: "logout" });
  });
});

describe("WebSocket close event", () => {
  it("tells the client why before disconnecting: logout and device removal without retryAfterMs", async () => {
    const { url, alice } = await setUp();
    const other = await call<{ token: string }>(server.app, "POST", "/api/auth/login", { body: { username: "alice", password: "correct horse" } });
    const loggedOut = socketOf(url, alice);
    const removedDevice = randomUUID();
    const removed = socketOf(url, { ...alice, token: other.body.token }, removedDevice);
    await Promise.all([loggedOut.hello, removed.hello]);

    const logout = closedWith(loggedOut);
    expect((await call(server.app, "POST", "/api/auth/logout", { token: alice.token })).status).toBe(204);
    expect(await logout).toEqual({ reason: "logout" });

    const removal = closedWith(removed);
    expect((await call(server.app, "DELETE", `/api/devices/${removedDevice}`, { token: other.body.token })).status).toBe(204);
    expect(await removal).toEqual({ reason: "device_removed" });
  });

  it("on shutdown asks each client to wait a random 0.5–5 s before reconnecting", async () => {
    const draws = [0, 0.999999];
    const { url, alice } = await setUp({}, { random: () => draws.shift() ?? 0.5 });
    const a = socketOf(url, alice);
    const b = socketOf(url, alice);
    await Promise.all([a.hello, b.hello]);
    const closes = Promise.all([closedWith(a), closedWith(b)]);
    await server.close();
    const got = (await closes).map((c) => c?.retryAfterMs).sort((x, y) => x! - y!);
    expect(got).toEqual([500, 5000]);
    expect((await closes).every((c) => c?.reason === "shutdown")).toBe(true);
  });
});

describe("POST /api/sync/ping", () => {
  it("answers {at, streams} and writes ping {at, echo} on that device's SSE streams only", async () => {
    // One clock for the answer and the stream: the same moment reads the same.
    const now = Date.now();
    const { url, alice } = await setUp({ heartbeatMs: 60_000 }, { clock: () => now });
    const mine = randomUUID();
    const theirs = randomUUID();
    const s1 = await streamOf(url, alice, `device=${mine}`);
    const s2 = await streamOf(url, alice, `device=${theirs}`);
    const ping = (deviceId: string, body?: unknown) =>
      call<{ at: number; streams: number }>(server.app, "POST", PING_PATH, { token: alice.token, headers: { "x-device-id": deviceId }, body });

    const res = await ping(mine, { echo: "e-1" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ at: expect.any(Number), streams: 1 });
    const event = await s1.next((e) => e.event === "ping");
    const written = JSON.parse(event.data) as { at: number; echo: string };
    expect(written).toEqual({ at: now, echo: "e-1" });
    expect(res.body.at).toBe(now);
    expect(s2.events.some((e) => e.event === "ping")).toBe(false);

    // No body at all is a ping without echo; a device with no stream here gets streams: 0.
    expect((await ping(theirs)).body).toMatchObject({ streams: 1 });
    expect(JSON.parse((await s2.next((e) => e.event === "ping")).data)).toEqual({ at: expect.any(Number) });
    expect((await ping(randomUUID(), {})).body).toMatchObject({ streams: 0 });
  });

  it("refuses bad input with 400, no session with 401 and a foreign Origin with 403, never a 500", async () => {
    const { alice } = await setUp();
    const device = randomUUID();
    const status = async (opts: Parameters<typeof call>[3]) => (await call(server.app, "POST", PING_PATH, opts)).status;
    expect(await status({ token: alice.token, body: {} })).toBe(400);
    expect(await status({ token: alice.token, headers: { "x-device-id": "nope" }, body: {} })).toBe(400);
    for (const body of [{ echo: 1 }, { echo: "x".repeat(65) }, { echo: "a", more: true }, [], "text"]) {
      expect(await status({ token: alice.token, headers: { "x-device-id": device }, body })).toBe(400);
    }
    expect(await status({ headers: { "x-device-id": device }, body: {} })).toBe(401);
    const cookie = `courier_session=${alice.token}`;
    expect(await status({ headers: { "x-device-id": device, cookie, origin: "https://evil.example" }, body: {} })).toBe(403);
    expect(await status({ headers: { "x-device-id": device, cookie }, body: {} })).toBe(403);
  });
});

describe("SSE liveness (hb=1)", () => {
  const H = 300;

  it("ends a stream whose device stopped showing signs of life with close {reason: dead}; without hb=1 it stays", async () => {
    const { url, alice } = await setUp({ heartbeatMs: H });
    const watched = randomUUID();
    const s = await streamOf(url, alice, `device=${watched}&hb=1`);
    const plain = await streamOf(url, alice, `device=${randomUUID()}`);
    const signs = [
      () => call(server.app, "POST", PING_PATH, { token: alice.token, headers: { "x-device-id": watched } }),
      () => call(server.app, "POST", "/api/sync/ack", { token: alice.token, headers: { "x-device-id": watched }, body: { acks: { chat: 0 } } }),
      () => call(server.app, "GET", "/api/me", { token: alice.token, headers: { "x-device-id": watched } }),
    ];
    // Heartbeats, acks and any other request naming the device keep it alive for well past 2 × H.
    let lastSign = 0;
    for (const sign of signs) {
      for (let i = 0; i < 4; i++) {
        await sleep(H / 3);
        await sign();
        lastSign = Date.now();
      }
    }
    expect(s.events.some((e) => e.event === "close")).toBe(false);

    const close = await s.next((e) => e.event === "close", 5000);
    expect(Date.now() - lastSign).toBeGreaterThanOrEqual(2 * H - 20);
    expect(JSON.parse(close.data)).toEqual({ reason: "dead" });
    await s.ended;
    expect(server.delivery.deadConnections).toEqual({ ws: 0, sse: 1, poll: 0 });
    expect(plain.events.some((e) => e.event === "close")).toBe(false);
    expect(server.hub.countByTransport().sse).toBe(1);
  });
});
