import { randomUUID } from "node:crypto";
import type { Socket as NetSocket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { PollResponse, StreamClose } from "../../shared/protocol/index.js";
import { DEFAULT_RATE_LIMITS } from "../config.js";
import { appendTo, call, connect, type Client, emitAck, eventually, listen, openDirect, register, type Session, startServer, type TestServer, turnCounter } from "../testing/harness.js";
import { openStream, type SseClient } from "../testing/sse-client.js";
import { GUARDED } from "./ws/events.js";
import { MESSAGES_PER_TURN } from "./ws/ws-engine.js";
import { fakeClock, limits } from "../http/rate-limit-testing.js";

let server: TestServer;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.dispose();
});

type Ack = { ok: boolean; error?: { code: string; message: string; retryAfterMs?: number } };

function ws(url: string, s: Session, deviceId = randomUUID()): Client & { closed: Promise<StreamClose> } {
  const client = connect(url, { token: s.token, deviceId, protocol: 1 });
  closers.push(() => client.socket.disconnect());
  const closed = new Promise<StreamClose>((resolve) => client.socket.on("close", resolve));
  return { ...client, closed };
}

async function sse(url: string, s: Session, deviceId: string): Promise<SseClient> {
  const stream = await openStream(`${url}/api/stream?device=${deviceId}`, { authorization: `Bearer ${s.token}` });
  closers.push(() => stream.close());
  await stream.next((e) => e.event === "hello");
  return stream;
}

describe("socket events (finding 1: one socket could stall the server)", () => {
  it("2,000 pulls from one socket: at most a few run at once, the rest are refused cheaply; another user is served meanwhile", async () => {
    const clock = fakeClock();
    server = await startServer({}, { clock: clock.read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const { conversationId } = await openDirect(server.app, alice, bob);
    await appendTo(server, alice.user.id, "chat", 500);
    const flooder = ws(url, alice);
    const other = ws(url, bob);
    await Promise.all([flooder.hello, other.hello]);

    // What the flood costs the server: log reads running at the same time.
    let running = 0;
    let mostAtOnce = 0;
    const pull = server.sync.pull.bind(server.sync);
    server.sync.pull = async (...args) => {
      mostAtOnce = Math.max(mostAtOnce, ++running);
      try {
        return await pull(...args);
      } finally {
        running--;
      }
    };

    const flood = Array.from({ length: 2000 }, () => emitAck<Ack>(flooder.socket, "pull", { d: "chat", after: 0, limit: 500 }));
    // Bob, meanwhile: a send over the socket and a request over HTTP.
    const bobSend = emitAck<Ack>(other.socket, "send", { clientMsgId: randomUUID(), conversationId, kind: "text", body: "still here" });
    const bobHealth = call(server.app, "GET", "/api/health");
    const answers = await Promise.all(flood);

    const served = answers.filter((a) => a.ok).length;
    const refused = answers.filter((a) => !a.ok);
    expect(mostAtOnce).toBeLessThanOrEqual(4);
    // The clock stands still: no more than the per-user burst is ever served.
    expect(served).toBeLessThanOrEqual(DEFAULT_RATE_LIMITS.requestsPerUser.limit);
    expect(refused.length).toBeGreaterThanOrEqual(2000 - DEFAULT_RATE_LIMITS.requestsPerUser.limit);
    for (const r of refused) expect(r.error).toMatchObject({ code: "rate_limited", retryAfterMs: expect.any(Number) });
    expect(refused.some((r) => /Too many pulls at once/.test(r.error!.message))).toBe(true);
    expect(await bobSend).toMatchObject({ ok: true });
    expect((await bobHealth).status).toBe(200);
    expect(await emitAck(other.socket, "pull", { d: "chat", after: 0 })).toMatchObject({ ok: true });
  }, 30_000);

  it("a burst of 1,000 events arriving in one read from one socket is taken a few messages a turn: another user's heartbeat is answered among its first answers, not after them", async () => {
    server = await startServer({}, { clock: fakeClock().read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    // The order the server takes the flood's events in.
    const handled: string[] = [];
    server.io.on("connection", (socket) =>
      socket.use(([event, payload], next) => {
        const echo = (payload as { echo?: string } | undefined)?.echo;
        if (event === "heartbeat" && echo !== undefined) handled.push(echo);
        next();
      }),
    );
    const flooder = ws(url, alice);
    const other = ws(url, bob);
    await Promise.all([flooder.hello, other.hello]);

    // The flood's frames held in the client until all are queued, then written at once: one read on the server.
    const raw = (flooder.socket.io.engine.transport as unknown as { ws: { _socket: NetSocket } }).ws._socket;
    raw.cork();
    const answered: string[] = [];
    const flood = Array.from({ length: 1000 }, (_, i) => emitAck<Ack>(flooder.socket, "heartbeat", { echo: String(i) }).then(() => answered.push("flood")));
    await new Promise((resolve) => setImmediate(resolve));
    raw.uncork();
    const bobs = emitAck<Ack>(other.socket, "heartbeat", {}).then(() => answered.push("bob"));
    await Promise.all([...flood, bobs]);

    // ws by default decodes and answers a whole read before reading anything else: bob's answer came 595th in one run.
    expect(answered.indexOf("bob")).toBeLessThan(3 * MESSAGES_PER_TURN);
    expect(answered).toHaveLength(1001);
    // Taken in turns, still handled in the order sent.
    expect(handled).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
  }, 30_000);

  it("a connection's ordinary burst (10 events written at once) is still taken in one turn, not one event a turn", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    // Which turn of the event loop each event reached the server in.
    const turn = turnCounter();
    const turns: number[] = [];
    server.io.on("connection", (socket) =>
      socket.use((_packet, next) => {
        turns.push(turn.now());
        next();
      }),
    );
    const client = ws(url, alice);
    await client.hello;
    turns.length = 0;
    const raw = (client.socket.io.engine.transport as unknown as { ws: { _socket: NetSocket } }).ws._socket;
    raw.cork();
    const burst = Array.from({ length: 10 }, () => emitAck<Ack>(client.socket, "heartbeat", {}));
    await new Promise((resolve) => setImmediate(resolve));
    raw.uncork();
    await Promise.all(burst);
    turn.stop();
    expect(turns).toHaveLength(10);
    // One message a turn (ws's allowSynchronousEvents: false, or the switch never set back) would give 10 turns.
    expect(new Set(turns).size).toBeLessThanOrEqual(2);
  });

  it("2,000 pulls over 50 sockets (5 devices × 10) and HTTP: one 500-entry read of the account runs at a time, four are held, the rest refused at once; another user's read runs meanwhile", async () => {
    server = await startServer({}, { clock: fakeClock().read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    await appendTo(server, alice.user.id, "chat", 500);
    const devices = Array.from({ length: 5 }, () => randomUUID());
    const sockets = Array.from({ length: 50 }, (_, i) => ws(url, alice, devices[i % devices.length]));
    const other = ws(url, bob);
    await Promise.all([...sockets, other].map((c) => c.hello));

    // Every read of the log is held until released, and counted while it runs.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const running = new Map<string, number>();
    let alicesMost = 0;
    const waiters: { user: string; started: () => void }[] = [];
    const startOf = (user: string) => new Promise<void>((started) => waiters.push({ user, started }));
    const pull = server.sync.pull.bind(server.sync);
    server.sync.pull = async (userId, ...rest) => {
      running.set(userId, (running.get(userId) ?? 0) + 1);
      if (userId === alice.user.id) alicesMost = Math.max(alicesMost, running.get(userId)!);
      for (const w of waiters.filter((x) => x.user === userId)) w.started();
      try {
        await released;
        return await pull(userId, ...rest);
      } finally {
        running.set(userId, running.get(userId)! - 1);
      }
    };

    const alicesFirst = startOf(alice.user.id);
    const big = { d: "chat", after: 0, limit: 500 };
    const overSockets = Array.from({ length: 2000 }, (_, i) => emitAck<Ack>(sockets[i % sockets.length]!.socket, "pull", big));
    const overHttp = Array.from({ length: 50 }, () => call(server.app, "GET", "/api/sync/chat?after=0&limit=500", { token: alice.token }));
    const snapshot = call(server.app, "GET", "/api/sync/snapshot", { token: alice.token });
    await alicesFirst;
    // Bob's read does not wait behind Alice's.
    const bobsStart = startOf(bob.user.id);
    const bobs = emitAck<Ack>(other.socket, "pull", big);
    await bobsStart;
    expect(running.get(bob.user.id)).toBe(1);
    expect(alicesMost).toBe(1);

    // All but the four held (one running, three waiting) are refused at once, over the sockets and HTTP alike.
    const total = overSockets.length + overHttp.length + 1;
    let answered = 0;
    let allButHeld!: () => void;
    const refusedAll = new Promise<void>((resolve) => (allButHeld = resolve));
    const counted = <T>(p: Promise<T>) => p.then((a) => (++answered === total - 4 && allButHeld(), a));
    const socketAnswers = Promise.all(overSockets.map(counted));
    const httpAnswers = Promise.all([...overHttp, snapshot].map(counted));
    await refusedAll;
    expect(alicesMost).toBe(1);
    release();

    const fromSockets = await socketAnswers;
    const fromHttp = await httpAnswers;
    expect(await bobs).toMatchObject({ ok: true });
    const served = fromSockets.filter((a) => a.ok).length + fromHttp.filter((r) => r.status === 200).length;
    expect(served).toBe(4);
    for (const a of fromSockets.filter((x) => !x.ok)) expect(a.error).toMatchObject({ code: "rate_limited", message: expect.stringMatching(/Too many pulls at once/) });
    for (const r of fromHttp.filter((x) => x.status !== 200)) expect(r).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } } });
    // One at a time, the four held ones too.
    expect(alicesMost).toBe(1);
  }, 30_000);

  it("limits send and pull per user across the user's sockets; acks and heartbeats on a budget of their own", async () => {
    // Opening the conversation is one request, each handshake another: two are left for the events.
    server = await startServer({ rateLimits: limits({ requestsPerUser: { limit: 5, windowMs: 60_000 } }) }, { clock: fakeClock().read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const { conversationId } = await openDirect(server.app, alice, bob);
    const a1 = ws(url, alice);
    const a2 = ws(url, alice);
    await Promise.all([a1.hello, a2.hello]);
    const send = () => ({ clientMsgId: randomUUID(), conversationId, kind: "text", body: "hi" });
    const heads = await server.sync.heads(bob.user.id);

    expect(await emitAck<Ack>(a1.socket, "send", send())).toMatchObject({ ok: true });
    expect(await emitAck<Ack>(a2.socket, "pull", { d: "chat", after: 0 })).toMatchObject({ ok: true });
    for (const [event, payload] of [
      ["send", send()],
      ["pull", { d: "chat", after: 0 }],
    ] as const) {
      expect(await emitAck<Ack>(a2.socket, event, payload)).toMatchObject({ ok: false, error: { code: "rate_limited", retryAfterMs: 12_000 } });
    }
    // The refused send appended nothing (the first one: the msg, and the conv entry it brings bob).
    expect((await server.sync.heads(bob.user.id)).chat).toBe(heads.chat + 2);
    // Acks and heartbeats still go through, across both sockets, up to a budget of the same size.
    for (let i = 0; i < 5; i++) expect(await emitAck<Ack>(i % 2 ? a1.socket : a2.socket, i % 3 ? "heartbeat" : "ack", i % 3 ? {} : { acks: { chat: 1 } })).toMatchObject({ ok: true });
    for (const [event, payload] of [
      ["ack", { acks: { chat: 1 } }],
      ["heartbeat", {}],
    ] as const) {
      expect(await emitAck<Ack>(a1.socket, event, payload)).toMatchObject({ ok: false, error: { code: "rate_limited", retryAfterMs: 12_000 } });
    }
  });

  it("every request event a socket listens to goes through the guard (a new event can't forget its limit)", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const c = ws(url, alice);
    await c.hello;
    const [own] = [...server.io.of("/").sockets.values()];
    // Every event with a listener, whatever its name (socket.io types `listeners` by the declared ones).
    const emitter = own! as unknown as { eventNames(): (string | symbol)[]; listeners(event: string | symbol): unknown[] };
    const events = emitter.eventNames().filter((e) => e !== "disconnect" && e !== "disconnecting" && e !== "error");
    expect(events.map(String).sort()).toEqual(["ack", "heartbeat", "pull", "recall", "send", "typing"]);
    for (const event of events) for (const listener of emitter.listeners(event)) expect((listener as { [GUARDED]?: true })[GUARDED]).toBe(true);
  });
});

describe("socket handshakes pay like requests (review finding 1)", () => {
  /** Resolves with what a handshake got: accepted, or its refusal's code (and wait). */
  async function handshake(url: string, auth: Record<string, unknown>, headers: Record<string, string> = {}) {
    const client = connect(url, { protocol: 1, deviceId: randomUUID(), ...auth }, headers);
    closers.push(() => client.socket.disconnect());
    try {
      await client.hello;
      return { accepted: true as const, deviceId: auth.deviceId };
    } catch (err) {
      const data = (err as { data?: { code: string; retryAfterMs?: number } }).data;
      return { accepted: false as const, code: data?.code, retryAfterMs: data?.retryAfterMs };
    }
  }

  it("40 handshakes on one token with new devices: the user's budget refuses them past it, and a refused one records no device", async () => {
    server = await startServer({ rateLimits: limits({ requestsPerUser: { limit: 5, windowMs: 60_000 } }) }, { clock: fakeClock().read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const devices = Array.from({ length: 40 }, () => randomUUID());
    const outcomes = [];
    for (const deviceId of devices) outcomes.push(await handshake(url, { token: alice.token, deviceId }));

    expect(outcomes.filter((o) => o.accepted)).toHaveLength(5);
    for (const o of outcomes.slice(5)) expect(o).toEqual({ accepted: false, code: "rate_limited", retryAfterMs: 12_000 });
    const recorded = await Promise.all(devices.map((d) => server.sync.getDevice(d)));
    expect(recorded.map((d) => d !== null)).toEqual(devices.map((_, i) => i < 5));
    // The handshakes spent Alice's budget, not Bob's.
    expect((await call(server.app, "GET", "/api/me", { token: alice.token })).status).toBe(429);
    expect((await call(server.app, "GET", "/api/me", { token: bob.token })).status).toBe(200);
  });

  it("40 handshakes with bad tokens from one address: its budget refuses them before any session lookup, and HTTP from there shares it", async () => {
    // Behind one trusted proxy: the client address is the last X-Forwarded-For entry, as for HTTP.
    server = await startServer({ trustProxy: 1, rateLimits: limits({ requestsPerIp: { limit: 5, windowMs: 60_000 } }) }, { clock: fakeClock().read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    let lookups = 0;
    const read = server.storage.read.bind(server.storage);
    server.storage.read = ((work) => {
      lookups++;
      return read(work);
    }) as typeof server.storage.read;

    const from = { "x-forwarded-for": "203.0.113.9" };
    const outcomes = [];
    for (let i = 0; i < 40; i++) outcomes.push(await handshake(url, { token: `not-a-token-${i}` }, from));
    expect(outcomes.slice(0, 5).map((o) => o.accepted === false && o.code)).toEqual(Array(5).fill("unauthorized"));
    for (const o of outcomes.slice(5)) expect(o).toEqual({ accepted: false, code: "rate_limited", retryAfterMs: 12_000 });
    // Each of the 5 let through reads its session, then whether an administrator's sign_out revoked it (authenticate.ts).
    expect(lookups).toBe(5 * 2);
    // One budget with HTTP: the same address is refused there too; a good token from it as well; another address is not.
    expect((await call(server.app, "GET", "/api/health", { headers: from })).status).toBe(429);
    expect(await handshake(url, { token: alice.token }, from)).toMatchObject({ accepted: false, code: "rate_limited" });
    expect(await handshake(url, { token: alice.token }, { "x-forwarded-for": "203.0.113.10" })).toMatchObject({ accepted: true });
  });

  it("every socket event pays the address's budget too (protocol: per user and per client address), acks and heartbeats excepted", async () => {
    server = await startServer({ trustProxy: 1, rateLimits: limits({ requestsPerIp: { limit: 4, windowMs: 60_000 } }) }, { clock: fakeClock().read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const from = { "x-forwarded-for": "203.0.113.20" };
    const c = connect(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 }, from);
    closers.push(() => c.socket.disconnect());
    await c.hello;
    // The handshake was one; three pulls are left, then the address is out, whoever asks from it.
    for (let i = 0; i < 3; i++) expect(await emitAck<Ack>(c.socket, "pull", { d: "chat", after: 0 })).toMatchObject({ ok: true });
    const refused = await emitAck<Ack>(c.socket, "pull", { d: "chat", after: 0 });
    expect(refused).toMatchObject({ ok: false, error: { code: "rate_limited", message: expect.stringMatching(/from this address/) } });
    expect(await handshake(url, { token: bob.token }, from)).toMatchObject({ accepted: false, code: "rate_limited" });
    expect(await emitAck<Ack>(c.socket, "heartbeat", {})).toMatchObject({ ok: true });
    expect(await emitAck<Ack>(c.socket, "ack", { acks: { chat: 0 } })).toMatchObject({ ok: true });
    // Alice's own budget was not what ran out.
    expect((await call(server.app, "GET", "/api/me", { token: alice.token })).status).toBe(200);
  });
});

describe("others' messages do not spend a user's budget (review finding 2)", () => {
  it("a busy conversation: acking every push and heartbeating leaves the user's sends, pulls and requests alone", async () => {
    server = await startServer({ rateLimits: limits({ requestsPerUser: { limit: 5, windowMs: 60_000 } }) }, { clock: fakeClock().read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const { conversationId } = await openDirect(server.app, bob, alice);
    const victim = ws(url, alice);
    await victim.hello;
    // Twenty entries pushed to Alice (a flood of Bob's, without his limits in the way), each acked as the app does.
    const pushed = await appendTo(server, alice.user.id, "chat", 20);
    await eventually(() => victim.pushed.length === 20);
    const acks = [];
    for (const e of pushed) acks.push(await emitAck<Ack>(victim.socket, "ack", { acks: { chat: e.v } }));
    for (let i = 0; i < 5; i++) acks.push(await emitAck<Ack>(victim.socket, "heartbeat", {}));
    // Her acks and heartbeats are limited on their own budget…
    expect(acks.filter((a) => a.ok)).toHaveLength(5);
    expect(acks.filter((a) => !a.ok).every((a) => a.error?.code === "rate_limited")).toBe(true);
    // …and her own requests still go through: handshake 1, then send, pull, and two over HTTP.
    expect(await emitAck<Ack>(victim.socket, "send", { clientMsgId: randomUUID(), conversationId, kind: "text", body: "still here" })).toMatchObject({ ok: true });
    expect(await emitAck<Ack>(victim.socket, "pull", { d: "chat", after: 0 })).toMatchObject({ ok: true });
    expect((await call(server.app, "GET", "/api/me", { token: alice.token })).status).toBe(200);
    expect((await call(server.app, "GET", `/api/conversations/${conversationId}/messages`, { token: alice.token })).status).toBe(200);
  });

  it("over HTTP (SSE clients): acks and pings spend neither the user's budget nor, once signed in, the address's", async () => {
    server = await startServer({
      trustProxy: 1,
      rateLimits: limits({ requestsPerUser: { limit: 5, windowMs: 60_000 }, requestsPerIp: { limit: 8, windowMs: 60_000 } }),
    }, { clock: fakeClock().read });
    const alice = await register(server.app, "alice");
    const device = randomUUID();
    const headers = { "x-forwarded-for": "203.0.113.30", "x-device-id": device };
    expect((await call(server.app, "PUT", `/api/devices/${device}`, { token: alice.token, headers, body: { protocol: 1, capabilities: [] } })).status).toBe(200);
    const upkeep = async (i: number) =>
      (await call(server.app, "POST", i % 2 ? "/api/sync/ack" : "/api/sync/ping", { token: alice.token, headers, body: i % 2 ? { acks: { chat: 0 } } : {} })).status;
    for (let i = 0; i < 5; i++) expect(await upkeep(i)).toBe(200);
    // Alice's requests from her address go through: four more is her budget (the device was one), and well within the address's.
    for (let i = 0; i < 4; i++) expect((await call(server.app, "GET", "/api/me", { token: alice.token, headers })).status).toBe(200);
    // Upkeep is limited on its own budget; a refused one keeps the address's token (a flood of them is the address's to pay).
    expect(await upkeep(5)).toBe(429);
    const health = async () => (await call(server.app, "GET", "/api/health", { headers })).status;
    expect([await health(), await health(), await health()]).toEqual([200, 200, 429]);
  });
});

describe("live connections per device and per user (finding 5)", () => {
  async function poll(url: string, s: Session, deviceId: string): Promise<PollResponse> {
    const res = await fetch(`${url}/api/poll?device=${deviceId}&wait=30000`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as PollResponse;
  }

  it("the 11th connection of a device (ws, SSE and long-poll mixed) closes the oldest with too_many_connections", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const device = randomUUID();
    // A parked long-poll is the oldest.
    const parked = poll(url, alice, device);
    await eventually(() => server.hub.size === 1);
    const socket = ws(url, alice, device);
    await socket.hello;
    const stream = await sse(url, alice, device);
    await sse(url, alice, device);
    const more = Array.from({ length: 6 }, () => ws(url, alice, device));
    await Promise.all(more.map((s) => s.hello));
    expect(server.hub.connectionsOfDevice(alice.user.id, device)).toHaveLength(10);

    // The 11th: the parked poll answers at once, saying why.
    const eleventh = ws(url, alice, device);
    await eleventh.hello;
    expect(await parked).toMatchObject({ entries: [], close: { reason: "too_many_connections" } });
    // The 12th closes the oldest socket, the 13th the oldest stream, each with the reason.
    const twelfth = ws(url, alice, device);
    await twelfth.hello;
    expect(await socket.closed).toEqual({ reason: "too_many_connections" });
    await sse(url, alice, device);
    const closeEvent = await stream.next((e) => e.event === "close");
    expect(JSON.parse(closeEvent.data)).toEqual({ reason: "too_many_connections" });
    expect(server.hub.connectionsOfDevice(alice.user.id, device)).toHaveLength(10);
  });

  it("caps a user's connections across devices, and a long-poll closed while not parked hears the reason at its next poll", async () => {
    server = await startServer({ connectionLimits: { perDevice: 10, perUser: 2, pullsInFlight: 4 } });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const polling = randomUUID();
    // A poll that answers at once (an entry waits), leaving its presence lingering, not parked.
    await appendTo(server, alice.user.id, "system", 1);
    expect((await poll(url, alice, polling)).entries).toHaveLength(1);
    const b = ws(url, alice);
    await b.hello;
    const c = ws(url, alice);
    await c.hello;
    // Over the user's cap of 2: the lingering poll was the oldest.
    expect(server.hub.connectionsOf(alice.user.id).map((x) => x.transport)).toEqual(["ws", "ws"]);
    const told = await fetch(`${url}/api/poll?device=${polling}&wait=30000&cursor=system:1`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(((await told.json()) as PollResponse).close).toEqual({ reason: "too_many_connections" });
    // Said once: the one after that is a connection again (and closes the now-oldest socket).
    const again = fetch(`${url}/api/poll?device=${polling}&wait=30000&cursor=system:1`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(await b.closed).toEqual({ reason: "too_many_connections" });
    server.hub.closeWhere((x) => x.transport === "poll", "shutdown");
    expect((await again).status).toBe(200);
  });
});
