import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Entry, type Message, POLL_WAIT_MAX_MS, type PollResponse } from "../../../shared/protocol/index.js";
import { appendTo, call, eventually, listen, openDirect, pullAll, register, sendHttp, startServer, type Session, type TestServer } from "../../testing/harness.js";
import type { PollPresence } from "./presence.js";
import { PollWaiter } from "./waiter.js";

let server: TestServer;
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await server?.dispose();
});

const poll = (s: Session, query: string, headers: Record<string, string> = {}) =>
  call<PollResponse & { error?: { code: string } }>(server.app, "GET", `/api/poll?${query}`, { token: s.token, headers });

/** Over real HTTP, for polls that park. */
async function pollHttp(url: string, s: Session, query: string): Promise<{ status: number; body: PollResponse }> {
  const res = await fetch(`${url}/api/poll?${query}`, { headers: { authorization: `Bearer ${s.token}` } });
  return { status: res.status, body: (await res.json()) as PollResponse };
}

/**
 * The server's own timers and clock faked (not its I/O, nor the harness's
 * waits): a parked poll's `wait` can then only run out when the test says so,
 * so an answer before that came from what the test did (an append, a newer
 * poll); and no real millisecond passes between its deadline and its park.
 */
const fakeServerTimers = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });

/** The polls of the user's device that have joined its presence, in arrival order. */
const joined = (s: Session) => (server.hub.connectionsOf(s.user.id)[0] as PollPresence | undefined)?.waiting ?? 0;

/** Whether `promise` has settled, after letting pending I/O run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return done;
}

const bodyOf = (e: Entry) => (e.data as { message?: Message }).message?.body;

async function chatting(config: Parameters<typeof startServer>[0] = {}) {
  server = await startServer({ heartbeatMs: 60_000, ...config });
  const url = await listen(server);
  const alice = await register(server.app, "alice");
  const bob = await register(server.app, "bob");
  const conv = await openDirect(server.app, alice, bob);
  return { url, alice, bob, conversationId: conv.conversationId, device: randomUUID() };
}

describe("long-poll", () => {
  it("answers at once with the entries after the cursor, hello and heads", async () => {
    const { alice, bob, conversationId, device } = await chatting({ recallWindowMs: 600_000 });
    for (let i = 0; i < 3; i++) await sendHttp(server.app, bob, conversationId, `m${i}`);
    await appendTo(server, alice.user.id, "system", 2);
    const res = await poll(alice, `device=${device}&cursor=chat:1&wait=30000`);
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body.hello).toMatchObject({ userId: alice.user.id, deviceId: device, transport: "poll", heads: { chat: 4, system: 2, marketing: 0 }, recallWindowMs: 600_000 });
    expect(res.body.entries.map((e) => [e.d, e.v])).toEqual([["chat", 2], ["chat", 3], ["chat", 4], ["system", 1], ["system", 2]]);
    expect(res.body.heads).toEqual({ chat: 4, system: 2, marketing: 0 });
    expect(res.body.cursor).toBe("chat:4,system:2,marketing:0");
    expect(res.body.reset).toBeUndefined();
  });

  it("answers at most 500 entries, highest-priority domain first; the next poll gets the rest", async () => {
    const { alice, device } = await chatting();
    await appendTo(server, alice.user.id, "marketing", 20);
    await appendTo(server, alice.user.id, "system", 490);
    const first = await poll(alice, `device=${device}&cursor=chat:1&wait=0`);
    expect(first.body.entries).toHaveLength(500);
    expect(first.body.cursor).toBe("chat:1,system:490,marketing:10");
    const second = await poll(alice, `device=${device}&cursor=${first.body.cursor}&wait=0`);
    expect(second.body.entries.map((e) => e.v)).toEqual(Array.from({ length: 10 }, (_, i) => 11 + i));
    expect(second.body.cursor).toBe("chat:1,system:490,marketing:20");
  });

  it("parks until an entry is appended for the user, then answers with it", async () => {
    const { url, alice, bob, conversationId, device } = await chatting();
    fakeServerTimers();
    const parked = pollHttp(url, alice, `device=${device}&cursor=chat:1&wait=10000`);
    await eventually(() => joined(alice) === 1);
    await sendHttp(server.app, bob, conversationId, "wake up");
    // Its wait cannot have run out (the timers are fake): the append woke it.
    const res = await parked;
    expect(res.status).toBe(200);
    expect(res.body.entries.map(bodyOf)).toEqual(["wake up"]);
    expect(res.body.cursor).toBe("chat:2,system:0,marketing:0");
  });

  it("answers empty with the same cursor once wait has elapsed, not before", async () => {
    const { url, alice, device } = await chatting();
    fakeServerTimers();
    const park = vi.spyOn(PollWaiter.prototype, "park");
    const parked = pollHttp(url, alice, `device=${device}&cursor=chat:1&wait=300`);
    // Parked: its timer is set (from here the fake clock counts its wait).
    await eventually(() => park.mock.calls.length === 1);
    await vi.advanceTimersByTimeAsync(299);
    expect(await settled(parked)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const res = await parked;
    expect(res.body).toMatchObject({ entries: [], cursor: "chat:1,system:0,marketing:0", heads: { chat: 1, system: 0, marketing: 0 } });
  });

  it("acknowledges the cursor it is given, never backwards, and the sender sees delivered", async () => {
    const { alice, bob, conversationId, device } = await chatting();
    const sent = await sendHttp(server.app, bob, conversationId, "hi");
    await poll(alice, `device=${device}&cursor=chat:2&wait=0`);
    await poll(alice, `device=${device}&cursor=chat:1&wait=0`);
    const acks = await call<{ acks: Record<string, number> }>(server.app, "POST", "/api/sync/ack", {
      token: alice.token,
      body: { acks: { chat: 0 } },
      headers: { "x-device-id": device },
    });
    expect(acks.body.acks).toEqual({ chat: 2, system: 0, marketing: 0 });
    const delivered = (await pullAll(server.app, bob, "chat")).entries.filter((e) => e.k === "delivered");
    expect(delivered.map((e) => e.data)).toEqual([{ conversationId, userId: alice.user.id, seq: sent.seq }]);
  });

  it("with `ack` acknowledges that instead of the cursor: continuing past a message is not having stored it", async () => {
    const { alice, bob, conversationId, device } = await chatting();
    const sent = await sendHttp(server.app, bob, conversationId, "hi");
    const res = await poll(alice, `device=${device}&cursor=chat:2&ack=chat:1&wait=0`);
    expect(res.body.cursor).toBe("chat:2,system:0,marketing:0");
    const acksOf = async () =>
      (await call<{ acks: Record<string, number> }>(server.app, "POST", "/api/sync/ack", { token: alice.token, body: { acks: { chat: 0 } }, headers: { "x-device-id": device } })).body.acks;
    expect(await acksOf()).toEqual({ chat: 1, system: 0, marketing: 0 });
    expect((await pullAll(server.app, bob, "chat")).entries.filter((e) => e.k === "delivered")).toEqual([]);

    // Stored now: the next poll says so, and Bob sees it delivered.
    await poll(alice, `device=${device}&cursor=chat:2&ack=chat:2&wait=0`);
    expect(await acksOf()).toEqual({ chat: 2, system: 0, marketing: 0 });
    const delivered = (await pullAll(server.app, bob, "chat")).entries.filter((e) => e.k === "delivered");
    expect(delivered.map((e) => e.data)).toEqual([{ conversationId, userId: alice.user.id, seq: sent.seq }]);

    // A malformed ack is a 400 like a malformed cursor, and acknowledges nothing.
    const bad = await poll(alice, `device=${device}&cursor=chat:2&ack=chat:x&wait=0`);
    expect(bad.status).toBe(400);
  });

  it("lists domains older than the ring in reset and serves the others", async () => {
    const { alice, bob, conversationId, device } = await chatting({ ringCapacity: 5 });
    for (let i = 0; i < 12; i++) await sendHttp(server.app, bob, conversationId, `m${i}`);
    await appendTo(server, alice.user.id, "system", 2);
    const res = await poll(alice, `device=${device}&cursor=&wait=0`);
    expect(res.body.reset).toEqual(["chat"]);
    expect(res.body.entries.map((e) => [e.d, e.v])).toEqual([["system", 1], ["system", 2]]);
    expect(res.body.cursor).toBe("chat:0,system:2,marketing:0");
  });

  it("keeps at most two parked polls per device: a third answers the oldest at once", async () => {
    const { url, alice, bob, conversationId, device } = await chatting();
    fakeServerTimers();
    const q = `device=${device}&cursor=chat:1&wait=10000`;
    const first = pollHttp(url, alice, q);
    await eventually(() => joined(alice) === 1);
    const second = pollHttp(url, alice, q);
    await eventually(() => joined(alice) === 2);
    const third = pollHttp(url, alice, q);
    // No wait can run out (fake timers): only the third's arrival answers the first.
    const superseded = await first;
    expect(superseded.body).toMatchObject({ entries: [], cursor: "chat:1,system:0,marketing:0" });
    expect(joined(alice)).toBe(2);
    expect(await settled(second)).toBe(false);
    await sendHttp(server.app, bob, conversationId, "both");
    for (const res of await Promise.all([second, third])) expect(res.body.entries.map(bodyOf)).toEqual(["both"]);
  });

  it("a client that leaves frees its place: it does not count against the cap", async () => {
    const { url, alice, bob, conversationId, device } = await chatting();
    fakeServerTimers();
    const q = `device=${device}&cursor=chat:1&wait=10000`;
    const first = pollHttp(url, alice, q);
    await eventually(() => joined(alice) === 1);
    const abort = new AbortController();
    const leaving = fetch(`${url}/api/poll?${q}`, { headers: { authorization: `Bearer ${alice.token}` }, signal: abort.signal }).catch(() => null);
    await eventually(() => joined(alice) === 2);
    abort.abort();
    await leaving;
    await eventually(() => joined(alice) === 1);
    const third = pollHttp(url, alice, q);
    await eventually(() => joined(alice) === 2);
    await sendHttp(server.app, bob, conversationId, "still here");
    for (const res of await Promise.all([first, third])) expect(res.body.entries.map(bodyOf)).toEqual(["still here"]);
  });

  it("shutdown answers parked polls, empty and with the same cursor", async () => {
    const { url, alice, device } = await chatting();
    // A wait longer than the test may run: only the shutdown can answer it in time.
    const parked = pollHttp(url, alice, `device=${device}&cursor=chat:1&wait=${POLL_WAIT_MAX_MS}`);
    await eventually(() => joined(alice) === 1);
    await server.close();
    const res = await parked;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ entries: [], cursor: "chat:1,system:0,marketing:0" });
  });

  it("logout answers a parked poll with 401", async () => {
    const { url, alice, device } = await chatting();
    const parked = pollHttp(url, alice, `device=${device}&cursor=chat:1&wait=${POLL_WAIT_MAX_MS}`);
    await eventually(() => joined(alice) === 1);
    expect((await call(server.app, "POST", "/api/auth/logout", { token: alice.token })).status).toBe(204);
    const res = await parked;
    expect(res.status).toBe(401);
    expect(server.hub.size).toBe(0);
  });

  it("an admin's sign_out answers a parked poll with its cmd entry first; the next poll gets 401", async () => {
    const { url, alice, device } = await chatting({ adminToken: "admin-secret-token" });
    const parked = pollHttp(url, alice, `device=${device}&cursor=chat:1&wait=${POLL_WAIT_MAX_MS}`);
    await eventually(() => joined(alice) === 1);
    const created = await call(server.app, "POST", "/api/admin/commands", {
      headers: { authorization: "Bearer admin-secret-token" },
      body: { userId: alice.user.id, deviceId: device, name: "sign_out" },
    });
    expect(created.status).toBe(201);
    const res = await parked;
    expect(res.status).toBe(200);
    expect(res.body.entries.map((e) => [e.k, (e.data as { name?: string }).name])).toEqual([["cmd", "sign_out"]]);
    expect((await pollHttp(url, alice, `device=${device}&cursor=${res.body.cursor}&wait=0`)).status).toBe(401);
  });

  it("a device forgotten to make room gets an empty answer (its session lives); a removed one gets 401", async () => {
    const { url, alice, device } = await chatting({ maxDevicesPerUser: 1 });
    const evicted = pollHttp(url, alice, `device=${device}&cursor=chat:1&wait=${POLL_WAIT_MAX_MS}`);
    await eventually(() => joined(alice) === 1);
    const newer = randomUUID();
    expect((await call(server.app, "PUT", `/api/devices/${newer}`, { token: alice.token, body: { protocol: 1, capabilities: [] } })).status).toBe(200);
    const res = await evicted;
    expect(res.status).toBe(200);
    expect(res.body.entries).toEqual([]);

    const other = await call<{ token: string }>(server.app, "POST", "/api/auth/login", { body: { username: "alice", password: "correct horse" } });
    const removed = pollHttp(url, alice, `device=${newer}&cursor=chat:1&wait=${POLL_WAIT_MAX_MS}`);
    await eventually(() => joined(alice) === 1);
    expect((await call(server.app, "DELETE", `/api/devices/${newer}`, { token: other.body.token })).status).toBe(204);
    expect((await removed).status).toBe(401);
  });

  it("counts the device as live while parked and for wait + grace after, then not", async () => {
    const { url, alice, device } = await chatting({ pollGraceMs: 1000 });
    const listed = async () =>
      (await call<{ devices: { id: string; online: boolean; transport: string | null }[] }>(server.app, "GET", "/api/devices", { token: alice.token })).body.devices;
    const parked = pollHttp(url, alice, `device=${device}&cursor=chat:1&wait=200`);
    await eventually(() => server.hub.countByTransport().poll === 1);
    expect(await listed()).toEqual([expect.objectContaining({ id: device, online: true, transport: "poll" })]);
    await parked;
    expect((await listed())[0]).toMatchObject({ online: true, transport: "poll" });
    await eventually(async () => !(await listed())[0]!.online, 5000);
    expect(server.hub.countByTransport()).toEqual({ ws: 0, sse: 0, poll: 0 });
  });
});

describe("long-poll admission", () => {
  it("refuses bad input, strangers, other accounts' devices and other sites", async () => {
    const { alice, bob, device } = await chatting();
    const code = async (query: string, headers: Record<string, string> = {}, s: Session | null = alice) => {
      const res = s ? await poll(s, query, headers) : await call(server.app, "GET", `/api/poll?${query}`, { headers });
      return [res.status, (res.body as { error?: { code: string } }).error?.code];
    };
    expect(await code(`device=${device}&wait=0`, {}, null)).toEqual([401, "unauthorized"]);
    for (const q of ["wait=40000", "wait=-1", "wait=soon", "cursor=chat:-1", "cursor=mail:1"]) {
      expect(await code(`device=${device}&${q}`), q).toEqual([400, "bad_request"]);
    }
    expect(await code(`device=nope&wait=0`)).toEqual([400, "bad_request"]);
    expect(await code(`wait=0`)).toEqual([400, "bad_request"]);
    await poll(bob, `device=${device}&wait=0`);
    expect(await code(`device=${device}&wait=0`)).toEqual([409, "conflict"]);
    const cookie = { cookie: `courier_session=${alice.token}` };
    const other = randomUUID();
    expect(await code(`device=${other}&wait=0`, { ...cookie, origin: "https://evil.example" }, null)).toEqual([403, "forbidden"]);
    expect(await code(`device=${other}&wait=0`, { ...cookie, "sec-fetch-site": "cross-site" }, null)).toEqual([403, "forbidden"]);
    expect(await code(`device=${other}&wait=0`, cookie, null)).toEqual([200, undefined]);
  });
});
