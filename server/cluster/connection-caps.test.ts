import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { PollResponse, StreamClose } from "../../shared/protocol/index.js";
import { type Config, DEFAULT_RATE_LIMITS } from "../config.js";
import { createTestSchema, type TestSchema } from "../testing/engines.js";
import { call, connect, type Client, emitAck, eventually, listen, register, type Session, startServer, type TestServer } from "../testing/harness.js";
import { openStream, type SseClient } from "../testing/sse-client.js";
import { overCap } from "./connection-caps.js";

/**
 * Two processes of one Courier (one PostgreSQL schema, one Redis), as in
 * cluster.test.ts: a device's or user's connections count on every process,
 * and the per-user budget is one budget.
 */
const enabled = Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL);

interface Node {
  server: TestServer;
  url: string;
}
let schema: TestSchema | null = null;
const nodes: Node[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(nodes.splice(0).map((n) => n.server.dispose()));
  await schema?.drop();
  schema = null;
});

async function cluster(config: Partial<Config>): Promise<Node[]> {
  schema = await createTestSchema();
  for (let i = 0; i < 2; i++) {
    const server = await startServer({ ...config, databaseUrl: schema.url, redisUrl: process.env.TEST_REDIS_URL! });
    nodes.push({ server, url: await listen(server) });
  }
  await eventually(() => nodes.every((n) => n.server.cluster.link?.up === true));
  return nodes;
}

function ws(node: Node, s: Session, deviceId: string): Client & { closed: Promise<StreamClose> } {
  const client = connect(node.url, { token: s.token, deviceId, protocol: 1 });
  closers.push(() => client.socket.disconnect());
  return { ...client, closed: new Promise<StreamClose>((resolve) => client.socket.on("close", resolve)) };
}

async function sse(node: Node, s: Session, deviceId: string): Promise<SseClient> {
  const stream = await openStream(`${node.url}/api/stream?device=${deviceId}`, { authorization: `Bearer ${s.token}` });
  closers.push(() => stream.close());
  await stream.next((e) => e.event === "hello");
  return stream;
}

/** A device's long-poll on a node: `wait` 0 answers at once and leaves the presence lingering (the grace is long here). */
async function poll(node: Node, s: Session, deviceId: string, wait: number): Promise<PollResponse> {
  const res = await fetch(`${node.url}/api/poll?device=${deviceId}&wait=${wait}`, { headers: { authorization: `Bearer ${s.token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as PollResponse;
}

/**
 * How many connections the node's caps have checked against Redis, each
 * counted once its decision (and any close on this node) has been made: a
 * test can then say that nothing was closed, without waiting on a clock.
 */
function capsChecks(node: Node): { settled(n: number): Promise<void> } {
  const command = node.server.cluster.link!.command;
  const add = command.courierConnectionAdd.bind(command);
  let answered = 0;
  command.courierConnectionAdd = ((...args: Parameters<typeof add>) =>
    add(...args).then((reply) => {
      answered++;
      return reply;
    })) as typeof add;
  return {
    async settled(n: number) {
      await eventually(() => answered >= n);
      // The caps decide in the continuation of that reply: one turn of the event loop later it is done.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const polls = (node: Node, s: Session) => node.server.hub.connectionsOf(s.user.id).filter((c) => c.transport === "poll");

describe("overCap", () => {
  it("closes the oldest beyond the device cap, then the oldest beyond the user cap; never the newest", () => {
    const c = (id: string, deviceId: string) => ({ id, deviceId });
    const live = [c("1", "a"), c("2", "b"), c("3", "a"), c("4", "a"), c("5", "b")];
    expect(overCap(live, { perDevice: 2, perUser: 10 }).map((x) => x.id)).toEqual(["1"]);
    expect(overCap(live, { perDevice: 2, perUser: 3 }).map((x) => x.id)).toEqual(["1", "2"]);
    expect(overCap(live, { perDevice: 10, perUser: 1 }).map((x) => x.id)).toEqual(["1", "2", "3", "4"]);
    expect(overCap(live, { perDevice: 10, perUser: 10 })).toEqual([]);
  });
});

describe.skipIf(!enabled)("limits across two processes (PostgreSQL + Redis)", () => {
  it("a device over its cap across processes: the oldest connection is closed on the process that holds it", async () => {
    const [a, b] = await cluster({ connectionLimits: { perDevice: 2, perUser: 50, pullsInFlight: 4 } });
    const alice = await register(a!.server.app, "alice");
    const device = randomUUID();

    const oldest = ws(a!, alice, device);
    await oldest.hello;
    const stream = await sse(b!, alice, device);
    // Both are counted in Redis before the third arrives.
    await eventually(async () => (await a!.server.cluster.link!.command.zcard(`cc:{${alice.user.id}}`)) === 2);
    const third = ws(b!, alice, device);
    await third.hello;
    expect(await oldest.closed).toEqual({ reason: "too_many_connections" });
    await eventually(() => a!.server.hub.connectionsOf(alice.user.id).length === 0);

    // One more on process A: now the stream on B is the oldest.
    const fourth = ws(a!, alice, device);
    await fourth.hello;
    const close = await stream.next((e) => e.event === "close");
    expect(JSON.parse(close.data)).toEqual({ reason: "too_many_connections" });
    expect(third.socket.connected && fourth.socket.connected).toBe(true);
  });

  it("a user over the cap across processes and devices", async () => {
    const [a, b] = await cluster({ connectionLimits: { perDevice: 10, perUser: 2, pullsInFlight: 4 } });
    const alice = await register(a!.server.app, "alice");
    const first = ws(a!, alice, randomUUID());
    await first.hello;
    const second = ws(b!, alice, randomUUID());
    await second.hello;
    await eventually(async () => (await a!.server.cluster.link!.command.zcard(`cc:{${alice.user.id}}`)) === 2);
    const third = ws(b!, alice, randomUUID());
    await third.hello;
    expect(await first.closed).toEqual({ reason: "too_many_connections" });
    expect(second.socket.connected).toBe(true);
  });

  it("a device long-polling through both processes is one connection, closed as one (review finding 5a, 5b)", async () => {
    const [a, b] = await cluster({ connectionLimits: { perDevice: 3, perUser: 50, pullsInFlight: 4 }, pollGraceMs: 600_000 });
    const alice = await register(a!.server.app, "alice");
    const device = randomUUID();
    const checksA = capsChecks(a!);
    const checksB = capsChecks(b!);

    // Its polls reached A, then B (no sticky sessions): a presence on each.
    await poll(a!, alice, device, 0);
    await checksA.settled(1);
    const first = ws(b!, alice, device);
    await first.hello;
    await checksB.settled(1);
    const parked = poll(b!, alice, device, 30_000);
    await checksB.settled(2);
    const second = ws(b!, alice, device);
    await second.hello;
    await checksB.settled(3);
    // Two sockets and one polling link: at the cap, not over it. Nothing was closed, on either process.
    expect(polls(a!, alice)).toHaveLength(1);
    expect(polls(b!, alice)).toHaveLength(1);

    // One more: the polling link is the oldest and goes as one, on both processes, saying why.
    const third = ws(a!, alice, device);
    await third.hello;
    expect((await parked).close).toEqual({ reason: "too_many_connections" });
    await eventually(() => polls(a!, alice).length === 0 && polls(b!, alice).length === 0);
    expect([first, second, third].every((c) => c.socket.connected)).toBe(true);
  });

  it("a long-poll closed on one process while not parked hears why at its next poll on another, once (review finding 5c)", async () => {
    const [a, b] = await cluster({ connectionLimits: { perDevice: 2, perUser: 50, pullsInFlight: 4 }, pollGraceMs: 600_000 });
    const alice = await register(a!.server.app, "alice");
    const device = randomUUID();
    const checksB = capsChecks(b!);

    await poll(a!, alice, device, 0);
    const first = ws(b!, alice, device);
    await first.hello;
    await checksB.settled(1);
    // Over the device's cap of 2: the lingering presence on A was the oldest.
    const second = ws(b!, alice, device);
    await second.hello;
    await eventually(() => polls(a!, alice).length === 0);

    // Its next poll reaches B: it is told, and takes no connection (it would close another).
    expect((await poll(b!, alice, device, 0)).close).toEqual({ reason: "too_many_connections" });
    expect(polls(b!, alice)).toHaveLength(0);
    // Told once: the poll after that is a connection again.
    expect((await poll(a!, alice, device, 0)).close).toBeUndefined();
  });

  it("the per-user budget is one budget: requests on one process and socket events on the other spend it together", async () => {
    const [a, b] = await cluster({ rateLimits: { ...DEFAULT_RATE_LIMITS, requestsPerUser: { limit: 4, windowMs: 60_000 } } });
    const alice = await register(a!.server.app, "alice");
    const bob = await register(a!.server.app, "bob");
    const socket = ws(b!, alice, randomUUID());
    await socket.hello;

    // The handshake on B was one.
    expect((await call(a!.server.app, "GET", "/api/me", { token: alice.token })).status).toBe(200);
    expect((await call(a!.server.app, "GET", "/api/me", { token: alice.token })).status).toBe(200);
    expect(await emitAck(socket.socket, "pull", { d: "chat", after: 0 })).toMatchObject({ ok: true });
    expect(await emitAck(socket.socket, "pull", { d: "chat", after: 0 })).toMatchObject({ ok: false, error: { code: "rate_limited" } });
    expect((await call(a!.server.app, "GET", "/api/me", { token: alice.token })).status).toBe(429);
    expect((await call(b!.server.app, "GET", "/api/me", { token: bob.token })).status).toBe(200);
  });
});
