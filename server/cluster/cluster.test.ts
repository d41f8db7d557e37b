import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Entry, Message } from "../../shared/protocol/index.js";
import { startRedis } from "../../scripts/provision/redis.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { createTestSchema, type TestSchema } from "../testing/engines.js";
import { call, type Client, connect, eventually, listen, openDirect, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";
import { openStream, type SseClient } from "../testing/sse-client.js";
import { PROBE_MS, type RedisBus } from "./redis-bus.js";

/**
 * Two processes of one Courier, in one test process: two apps on one
 * PostgreSQL schema and one Redis (this file's own, so it can be stopped).
 * Each app has its own hub, bus, presence and Redis connections, exactly as
 * two `npm start`s would.
 */
const enabled = Boolean(process.env.TEST_DATABASE_URL);

interface Node {
  server: TestServer;
  url: string;
}

let redis: RunningService;
let schema: TestSchema;
const nodes: Node[] = [];
const closers: (() => void)[] = [];

beforeAll(async () => {
  if (!enabled) return;
  redis = await startRedis();
});
afterAll(() => redis?.stop());

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(nodes.splice(0).map((n) => n.server.dispose()));
  await schema?.drop();
});

async function cluster(count = 2): Promise<Node[]> {
  schema = await createTestSchema();
  for (let i = 0; i < count; i++) {
    const server = await startServer({ databaseUrl: schema.url, redisUrl: redis.url });
    nodes.push({ server, url: await listen(server) });
  }
  await eventually(() => nodes.every((n) => n.server.cluster.link?.up === true));
  return nodes;
}

const chatBodies = (entries: Entry[]) => entries.filter((e) => e.k === "msg").map((e) => (e.data as { message: Message }).message.body);

function ws(node: Node, s: Session): Client {
  const client = connect(node.url, { token: s.token, deviceId: randomUUID(), protocol: 1 });
  closers.push(() => client.socket.disconnect());
  return client;
}

async function sse(node: Node, s: Session): Promise<SseClient> {
  const stream = await openStream(`${node.url}/api/stream?device=${randomUUID()}`, { authorization: `Bearer ${s.token}` });
  closers.push(() => stream.close());
  await stream.next((e) => e.event === "hello");
  return stream;
}

async function pair(a: Node): Promise<{ alice: Session; bob: Session; conversationId: string }> {
  const alice = await register(a.server.app);
  const bob = await register(a.server.app);
  const { conversationId } = await openDirect(a.server.app, alice, bob);
  return { alice, bob, conversationId };
}

describe.skipIf(!enabled)("several processes, one Courier (PostgreSQL + Redis)", () => {
  it("a message committed on one process reaches live connections on the other, over WebSocket, SSE and long-poll", async () => {
    const [a, b] = await cluster();
    const { alice, bob, conversationId } = await pair(a!);

    const socket = ws(b!, bob);
    await socket.hello;
    const stream = await sse(b!, bob);
    const poll = fetch(`${b!.url}/api/poll?device=${randomUUID()}&cursor=chat:1&wait=20000`, { headers: { authorization: `Bearer ${bob.token}` } });
    await eventually(() => b!.server.hub.countByTransport().poll === 1);

    const started = Date.now();
    await sendHttp(a!.server.app, alice, conversationId, "across");
    await eventually(() => chatBodies(socket.pushed).includes("across"), 5000);
    await stream.next((e) => e.event === "push" && chatBodies(JSON.parse(e.data) as Entry[]).includes("across"));
    const polled = (await (await poll).json()) as { entries: Entry[] };
    expect(chatBodies(polled.entries)).toEqual(["across"]);
    // Live, not healed: far below the healer's period.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(b!.server.cluster.healed).toBe(0);
  });

  it("answers a heartbeat posted to one process on the device's SSE stream held by another", async () => {
    const [a, b] = await cluster();
    const { bob } = await pair(a!);
    const device = randomUUID();
    const stream = await openStream(`${b!.url}/api/stream?device=${device}&hb=1`, { authorization: `Bearer ${bob.token}` });
    closers.push(() => stream.close());
    await stream.next((e) => e.event === "hello");
    const res = await call<{ streams: number }>(a!.server.app, "POST", "/api/sync/ping", { token: bob.token, body: { echo: "7.1" }, headers: { "x-device-id": device } });
    expect(res.status).toBe(200);
    expect(res.body.streams).toBe(0);
    const ping = await stream.next((e) => e.event === "ping" && (JSON.parse(e.data) as { echo?: string }).echo === "7.1", 3000);
    expect(ping).toBeDefined();
  });

  it("resumes an SSE stream on another process from Last-Event-ID, and long-polls alternate between processes without a gap", async () => {
    const [a, b] = await cluster();
    const { alice, bob, conversationId } = await pair(a!);
    const device = randomUUID();
    const first = await openStream(`${a!.url}/api/stream?device=${device}`, { authorization: `Bearer ${bob.token}` });
    closers.push(() => first.close());
    await first.next((e) => e.event === "hello");
    await sendHttp(b!.server.app, alice, conversationId, "one");
    await first.next((e) => e.event === "push" && chatBodies(JSON.parse(e.data) as Entry[]).includes("one"));
    const lastId = first.lastEventId()!;
    first.close();
    await sendHttp(a!.server.app, alice, conversationId, "two");
    const resumed = await openStream(`${b!.url}/api/stream?device=${device}`, { authorization: `Bearer ${bob.token}`, "last-event-id": lastId });
    closers.push(() => resumed.close());
    await resumed.next((e) => e.event === "push" && chatBodies(JSON.parse(e.data) as Entry[]).includes("two"));
    expect(resumed.events.filter((e) => e.event === "push").flatMap((e) => chatBodies(JSON.parse(e.data) as Entry[]))).toEqual(["two"]);

    // Long-polls, each to the other process, each acknowledging the last.
    let cursor = "chat:0";
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const node = i % 2 === 0 ? a! : b!;
      await sendHttp((i % 2 === 0 ? b! : a!).server.app, alice, conversationId, `poll ${i}`);
      const res = await call<{ entries: Entry[]; cursor: string }>(node.server.app, "GET", `/api/poll?device=${device}&cursor=${cursor}&wait=0`, { token: bob.token });
      expect(res.status).toBe(200);
      seen.push(...chatBodies(res.body.entries));
      cursor = res.body.cursor;
    }
    expect(seen).toEqual(["one", "two", "poll 0", "poll 1", "poll 2", "poll 3"]);
  });

  it("concurrent writers on three processes into one group: every member's versions are gapless", async () => {
    const all = await cluster(3);
    const members = await Promise.all([0, 1, 2, 3].map(() => register(all[0]!.server.app)));
    // Followers of the creator join at once (a stranger's group would be a request: docs/groups.md).
    for (const m of members.slice(1)) await call(all[0]!.server.app, "POST", `/api/users/${members[0]!.user.id}/follow`, { token: m.token });
    const group = await call<{ summary: { conversationId: string } }>(all[0]!.server.app, "POST", "/api/conversations", {
      token: members[0]!.token,
      body: { type: "group", title: "Team", memberIds: members.slice(1).map((m) => m.user.id) },
    });
    expect(group.status).toBe(201);
    const id = group.body.summary.conversationId;
    const receivers = members.map((m, i) => ws(all[i % 3]!, m));
    await Promise.all(receivers.map((r) => r.hello));
    await Promise.all(
      members.flatMap((m, i) => Array.from({ length: 10 }, (_, n) => sendHttp(all[(i + n) % 3]!.server.app, m, id, `${m.user.username}:${n}`))),
    );
    for (const [i, m] of members.entries()) {
      const pulled = await call<{ entries: Entry[] }>(all[2]!.server.app, "GET", "/api/sync/chat?after=0&limit=500", { token: m.token });
      const versions = pulled.body.entries.map((e) => e.v);
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, n) => n + 1));
      expect(chatBodies(pulled.body.entries)).toHaveLength(40);
      // And live: every member's socket got all 40, wherever they were sent.
      await eventually(() => chatBodies(receivers[i]!.pushed).length >= 40, 10_000);
      expect(new Set(chatBodies(receivers[i]!.pushed)).size).toBe(40);
    }
  });

  it("keeps sending while Redis is down, heals the other process from the database, and again once Redis is back", async () => {
    const [a, b] = await cluster();
    const { alice, bob, conversationId } = await pair(a!);
    const socket = ws(b!, bob);
    await socket.hello;
    await sendHttp(a!.server.app, alice, conversationId, "before");
    await eventually(() => chatBodies(socket.pushed).includes("before"));

    await redis.pause!();
    await eventually(() => !a!.server.cluster.link!.up && !b!.server.cluster.link!.up);
    // Degraded, still serving: ready, and saying Redis is down.
    const down = await call(a!.server.app, "GET", "/api/ready");
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ ready: true, database: "up", redis: "down" });
    // Sends need only the database.
    await sendHttp(a!.server.app, alice, conversationId, "during");
    // The healer's timer re-reads the database while the link is down.
    await eventually(() => chatBodies(socket.pushed).includes("during"), 10_000);

    await redis.resume!();
    const back = Date.now();
    await eventually(() => a!.server.cluster.link!.up && b!.server.cluster.link!.up, 10_000);
    await sendHttp(a!.server.app, alice, conversationId, "after");
    await eventually(() => chatBodies(socket.pushed).includes("after"), 10_000);
    expect(Date.now() - back).toBeLessThan(10_000);
    expect((await call(a!.server.app, "GET", "/api/ready")).status).toBe(200);
    // Each message reached the socket once, in version order.
    const bodies = chatBodies(socket.pushed);
    expect(bodies).toEqual(["before", "during", "after"]);
  });

  it("heals a message published while the other process's subscriber was away, as soon as it is back", async () => {
    const [a, b] = await cluster();
    const { alice, bob, conversationId } = await pair(a!);
    const socket = ws(b!, bob);
    await socket.hello;
    // B's subscriber drops (as in a network cut between B and Redis); A publishes meanwhile into nothing.
    b!.server.cluster.link!.subscriber.disconnect(true);
    await sendHttp(a!.server.app, alice, conversationId, "while away");
    await eventually(() => chatBodies(socket.pushed).includes("while away"), 10_000);
    expect(b!.server.cluster.healed).toBeGreaterThanOrEqual(1);
  });

  it("notices a subscriber that is connected but deaf, reconnects it, and heals what it missed", async () => {
    const [a, b] = await cluster();
    const { alice, bob, conversationId } = await pair(a!);
    const socket = ws(b!, bob);
    await socket.hello;
    const link = b!.server.cluster.link!;
    // Unsubscribed behind the bus's back: the socket is open and "ready", nothing arrives.
    await link.subscriber.sunsubscribe();
    await sendHttp(a!.server.app, alice, conversationId, "unheard");
    await new Promise((r) => setTimeout(r, 300));
    expect(chatBodies(socket.pushed)).not.toContain("unheard");
    // The probe notices within about three of its periods, then the reconnect heals.
    await eventually(() => chatBodies(socket.pushed).includes("unheard"), 6 * PROBE_MS + 5000);
    await eventually(() => link.up);
    await sendHttp(a!.server.app, alice, conversationId, "heard");
    await eventually(() => chatBodies(socket.pushed).includes("heard"), 3000);
  });

  it("closes a session's connections on every process at sign-out, and during a Redis outage within the session watch's period", async () => {
    const [a, b] = await cluster();
    const { alice } = await pair(a!);
    const socket = ws(b!, alice);
    await socket.hello;
    const closed = new Promise<unknown>((resolve) => socket.socket.on("close", resolve));
    expect((await call(a!.server.app, "POST", "/api/auth/logout", { token: alice.token })).status).toBe(204);
    expect(await closed).toMatchObject({ reason: "logout" });

    // Again while Redis is down: no message can travel; the watch finds the session gone.
    const again = await call<Session>(a!.server.app, "POST", "/api/auth/login", { body: { username: alice.user.username, password: "correct horse" } });
    const second = ws(b!, again.body);
    await second.hello;
    const secondClosed = new Promise<unknown>((resolve) => second.socket.on("close", resolve));
    await redis.pause!();
    try {
      await eventually(() => !a!.server.cluster.link!.up);
      expect((await call(a!.server.app, "POST", "/api/auth/logout", { token: again.body.token })).status).toBe(204);
      await b!.server.cluster.checkSessions();
      expect(await secondClosed).toMatchObject({ reason: "logout" });
    } finally {
      await redis.resume!();
    }
  });

  it("knows a device live on another process (presence), and forgets it when it goes", async () => {
    const [a, b] = await cluster();
    const { bob } = await pair(a!);
    const socket = ws(b!, bob);
    const hello = await socket.hello;
    await eventually(async () => (await a!.server.cluster.liveDevices(bob.user.id))?.get(hello.deviceId) === "ws");
    const listed = await call<{ devices: { id: string; online: boolean; transport: string | null }[] }>(a!.server.app, "GET", "/api/devices", { token: bob.token });
    expect(listed.body.devices.find((d) => d.id === hello.deviceId)).toMatchObject({ online: true, transport: "ws" });
    socket.socket.disconnect();
    await eventually(async () => !(await a!.server.cluster.liveDevices(bob.user.id))?.has(hello.deviceId));
  });

  it("stops counting the presence of a process that went silent (killed without a word) within a few probe periods", async () => {
    const [a, b] = await cluster();
    const { bob } = await pair(a!);
    const socket = ws(b!, bob);
    const hello = await socket.hello;
    await eventually(async () => (await a!.server.cluster.liveDevices(bob.user.id))?.has(hello.deviceId) === true);
    // B stops speaking, as a SIGKILLed process would; its entries in Redis stay until they expire.
    (b!.server.cluster.bus as RedisBus).stop();
    const silent = Date.now();
    await eventually(async () => !(await a!.server.cluster.liveDevices(bob.user.id))?.has(hello.deviceId), 10_000);
    expect(Date.now() - silent).toBeLessThan(4 * PROBE_MS + 1000);
  });

  it("drains on shutdown: not ready, its connections told to come back later with jitter", async () => {
    const [a] = await cluster();
    const { bob } = await pair(a!);
    const socket = ws(a!, bob);
    await socket.hello;
    const closed = new Promise<{ reason: string; retryAfterMs?: number }>((resolve) => socket.socket.on("close", resolve));
    a!.server.drain();
    expect(await closed).toMatchObject({ reason: "shutdown" });
    expect((await closed).retryAfterMs).toBeGreaterThanOrEqual(500);
    const ready = await call(a!.server.app, "GET", "/api/ready");
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, draining: true });
    // A request still reaching it is turned away in Courier's shape, to be retried on another process.
    const late = await call(a!.server.app, "GET", "/api/conversations", { token: bob.token });
    expect(late.status).toBe(503);
    expect(late.headers["retry-after"]).toBe("2");
    expect(late.body).toMatchObject({ error: { code: "unavailable" } });
  });
});
