import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formatCursor, type PollResponse, type PresenceView, type TypingFrame } from "../../shared/protocol/index.js";
import { startRedis } from "../../scripts/provision/redis.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { createTestSchema, type TestSchema } from "../testing/engines.js";
import { call, type Client, connect, eventually, listen, openDirect, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";
import { openStream } from "../testing/sse-client.js";

/**
 * Presence across two processes of one Courier (one PostgreSQL schema, one
 * Redis of this file's own), as cluster/cluster.test.ts builds them. Runs in
 * the `unit` project only (it picks its engine itself).
 */
const enabled = Boolean(process.env.TEST_DATABASE_URL) && process.env.COURIER_TEST_ENGINE !== "postgres";

interface Node {
  server: TestServer;
  url: string;
}

let redis: RunningService;
let schema: TestSchema;
let now = 5_000_000;
const nodes: Node[] = [];
const closers: (() => void)[] = [];

beforeAll(async () => {
  if (enabled) redis = await startRedis();
});
afterAll(() => redis?.stop());
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(nodes.splice(0).map((n) => n.server.dispose()));
  await schema?.drop();
});

async function cluster(): Promise<[Node, Node]> {
  now = 5_000_000;
  schema = await createTestSchema();
  for (let i = 0; i < 2; i++) {
    const server = await startServer({ databaseUrl: schema.url, redisUrl: redis.url }, { clock: () => now });
    nodes.push({ server, url: await listen(server) });
  }
  await eventually(() => nodes.every((n) => n.server.cluster.link?.up === true));
  return [nodes[0]!, nodes[1]!];
}

function ws(node: Node, s: Session): Client {
  const client = connect(node.url, { token: s.token, deviceId: randomUUID(), protocol: 1 });
  closers.push(() => client.socket.disconnect());
  return client;
}

const typed = (c: Client): TypingFrame[] => c.events.filter((e) => e.name === "typing").map((e) => e.args[0] as TypingFrame);

describe.skipIf(!enabled)("presence across processes (PostgreSQL + Redis)", () => {
  it("typing on one process reaches the member's WebSocket, SSE stream and parked long-poll on the other, and never a non-member there", async () => {
    const [a, b] = await cluster();
    const [ann, bob, eve] = [await register(a.server.app), await register(a.server.app), await register(a.server.app)];
    const { conversationId } = await openDirect(a.server.app, ann, bob);
    const eveChat = (await openDirect(a.server.app, eve, ann)).conversationId;
    // Typing is relayed only in a chat both can see: one with a message in it.
    await sendHttp(a.server.app, ann, conversationId);
    await sendHttp(a.server.app, eve, eveChat);

    const bobSocket = ws(b, bob);
    const eveSocket = ws(b, eve);
    await Promise.all([bobSocket.hello, eveSocket.hello]);
    const stream = await openStream(`${b.url}/api/stream?device=${randomUUID()}`, { authorization: `Bearer ${bob.token}` });
    closers.push(() => stream.close());
    await stream.next((e) => e.event === "hello");
    const cursor = formatCursor(await b.server.sync.heads(bob.user.id));
    const parked = fetch(`${b.url}/api/poll?device=${randomUUID()}&cursor=${cursor}&wait=20000`, { headers: { authorization: `Bearer ${bob.token}` } });
    await eventually(() => b.server.hub.countByTransport().poll === 1);
    // Wait until B listens to Bob's channel (the transports wait for it before hello; the poll too before reading).
    await b.server.hub.ready(bob.user.id);

    expect((await call(a.server.app, "POST", "/api/typing", { token: ann.token, body: { conversationId } })).status).toBe(204);
    const frame = { conversationId, userId: ann.user.id };
    await eventually(() => typed(bobSocket).length === 1, 5000);
    expect(typed(bobSocket)).toEqual([frame]);
    expect(JSON.parse((await stream.next((e) => e.event === "typing")).data)).toEqual(frame);
    expect(((await (await parked).json()) as PollResponse).ephemeral).toEqual([{ type: "typing", ...frame }]);

    // Eve (on B too) hears only what is hers: Ann typing in their own chat, and nothing before it.
    expect((await call(a.server.app, "POST", "/api/typing", { token: ann.token, body: { conversationId: eveChat } })).status).toBe(204);
    await eventually(() => typed(eveSocket).length === 1, 5000);
    expect(typed(eveSocket)).toEqual([{ conversationId: eveChat, userId: ann.user.id }]);
    expect(typed(bobSocket)).toHaveLength(1);
  });

  it("online while connected on the other process; last seen once the last connection there closes", async () => {
    const [a, b] = await cluster();
    const [ann, bob] = [await register(a.server.app), await register(a.server.app)];
    // A chat both can see (with a message in it): presence is shared only through one.
    await sendHttp(a.server.app, ann, (await openDirect(a.server.app, ann, bob)).conversationId);
    const presence = async () => (await call<PresenceView>(a.server.app, "GET", `/api/users/${bob.user.id}/presence`, { token: ann.token })).body;
    expect(await presence()).toEqual({ online: false, lastSeenAt: null });

    const bobSocket = ws(b, bob);
    await bobSocket.hello;
    await eventually(async () => (await presence()).online === true);
    expect(a.server.hub.connectionsOf(bob.user.id)).toHaveLength(0);

    now = 6_000_000;
    bobSocket.socket.disconnect();
    await eventually(async () => (await presence()).online === false);
    await eventually(async () => (await presence()).lastSeenAt === 6_000_000);
  });
});
