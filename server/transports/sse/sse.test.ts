import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type Entry, type Hello, type Message, parseCursor, type Versions } from "../../../shared/protocol/index.js";
import { hashToken } from "../../auth/tokens.js";
import { appendTo, call, eventually, listen, openDirect, register, sendHttp, startServer, type Session, type TestServer } from "../../testing/harness.js";
import { openStream, type SseClient, type SseEvent } from "../../testing/sse-client.js";

let server: TestServer;
const streams: SseClient[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await server?.dispose();
});

async function stream(url: string, query: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const s = await openStream(`${url}/api/stream?${query}`, headers);
  streams.push(s);
  return s;
}
const bearer = (s: Session) => ({ authorization: `Bearer ${s.token}` });
const pushes = (s: SseClient) => s.events.filter((e) => e.event === "push");
const entriesOf = (s: SseClient): Entry[] => pushes(s).flatMap((e) => JSON.parse(e.data) as Entry[]);
const versions = (s: SseClient, d = "chat") => entriesOf(s).filter((e) => e.d === d).map((e) => e.v);
const bodyOf = (e: Entry) => (e.data as { message?: Message }).message?.body;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const helloOf = async (s: SseClient) => JSON.parse((await s.next((e) => e.event === "hello")).data) as Hello;

async function chatting(config: Parameters<typeof startServer>[0] = {}) {
  server = await startServer({ heartbeatMs: 60_000, ...config });
  const url = await listen(server);
  const alice = await register(server.app, "alice");
  const bob = await register(server.app, "bob");
  const conv = await openDirect(server.app, alice, bob);
  return { url, alice, bob, conversationId: conv.conversationId };
}

describe("SSE stream", () => {
  it("sends retry and hello first, then everything after the cursor, then live entries", async () => {
    const { url, alice, bob, conversationId } = await chatting();
    for (let i = 0; i < 3; i++) await sendHttp(server.app, bob, conversationId, `old ${i}`);
    const device = randomUUID();
    const s = await stream(url, `device=${device}`, bearer(alice));
    expect(s.status).toBe(200);
    expect(s.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(s.headers.get("cache-control")).toContain("no-cache");
    expect(s.headers.get("x-accel-buffering")).toBe("no");

    const hello = await helloOf(s);
    expect(s.events[0]!.event).toBe("hello");
    expect(s.retry()).toBe(2000);
    expect(hello).toMatchObject({ userId: alice.user.id, deviceId: device, transport: "sse", heads: { chat: 4, system: 0, marketing: 0 } });
    await eventually(() => versions(s).length === 4);
    expect(versions(s)).toEqual([1, 2, 3, 4]);
    expect(s.lastEventId()).toBe("chat:4,system:0,marketing:0");

    await sendHttp(server.app, bob, conversationId, "live");
    await s.next((e) => e.event === "push" && (JSON.parse(e.data) as Entry[]).some((x) => bodyOf(x) === "live"));
    expect(versions(s)).toEqual([1, 2, 3, 4, 5]);
    expect(s.lastEventId()).toBe("chat:5,system:0,marketing:0");
  });

  it("misses nothing and repeats nothing while appends race the stream's start", async () => {
    const { url, alice, bob, conversationId } = await chatting();
    for (let i = 0; i < 5; i++) await sendHttp(server.app, bob, conversationId, `old ${i}`);
    const racing = [
      ...Array.from({ length: 20 }, (_, i) => sendHttp(server.app, bob, conversationId, `race ${i}`)),
      appendTo(server, alice.user.id, "system", 30),
    ];
    const s = await stream(url, `device=${randomUUID()}&cursor=chat:2`, bearer(alice));
    await Promise.all(racing);
    const heads = (await call<{ heads: Versions }>(server.app, "GET", "/api/sync/snapshot", { token: alice.token })).body.heads;
    await eventually(() => entriesOf(s).length === heads.chat - 2 + heads.system);
    // Every version once. Concurrent commits on PostgreSQL may be answered (and
    // so pushed) in the other order than their versions; clients order by version.
    const sorted = (vs: number[]) => vs.toSorted((a, b) => a - b);
    expect(sorted(versions(s))).toEqual(range(3, heads.chat));
    expect(sorted(versions(s, "system"))).toEqual(range(1, heads.system));
  });

  it("resumes from Last-Event-ID (which wins over the cursor query) and from the cursor query", async () => {
    const { url, alice, bob, conversationId } = await chatting();
    await sendHttp(server.app, bob, conversationId, "one");
    const device = randomUUID();
    const first = await stream(url, `device=${device}`, bearer(alice));
    await eventually(() => versions(first).length === 2);
    const lastId = first.lastEventId()!;
    first.close();
    await eventually(() => server.hub.size === 0);

    await sendHttp(server.app, bob, conversationId, "while away 1");
    await sendHttp(server.app, bob, conversationId, "while away 2");
    const second = await stream(url, `device=${device}&cursor=chat:0`, { ...bearer(alice), "last-event-id": lastId });
    await eventually(() => versions(second).length >= 2);
    await sendHttp(server.app, bob, conversationId, "live on second");
    await eventually(() => versions(second).length >= 3);
    expect(versions(second)).toEqual([3, 4, 5]);
    expect(entriesOf(second).map(bodyOf)).toEqual(["while away 1", "while away 2", "live on second"]);
    second.close();

    await sendHttp(server.app, bob, conversationId, "by cursor");
    const third = await stream(url, `device=${device}&cursor=${encodeURIComponent(second.lastEventId()!)}`, bearer(alice));
    await eventually(() => versions(third).length >= 1);
    expect(versions(third)).toEqual([6]);
  });

  it("carries as id the highest versions sent so far, per domain, never moving backwards", async () => {
    const { url, alice, bob, conversationId } = await chatting();
    await appendTo(server, alice.user.id, "system", 3);
    await appendTo(server, alice.user.id, "marketing", 2);
    await sendHttp(server.app, bob, conversationId, "before");
    const start = "chat:1,system:1,marketing:0";
    const s = await stream(url, `device=${randomUUID()}&cursor=${start}`, bearer(alice));
    await helloOf(s);
    await sendHttp(server.app, bob, conversationId, "live");
    await appendTo(server, alice.user.id, "marketing", 1);
    await appendTo(server, alice.user.id, "system", 2);
    await eventually(() => entriesOf(s).length === 1 + 2 + 2 + 1 + 1 + 2);

    const sent = parseCursor(start)!;
    for (const e of pushes(s)) {
      for (const x of JSON.parse(e.data) as Entry[]) sent[x.d] = Math.max(sent[x.d], x.v);
      expect(parseCursor(e.id!)).toEqual(sent);
    }
    expect(sent).toEqual({ chat: 3, system: 5, marketing: 3 });
  });

  it("answers a cursor older than the ring with reset for that domain and still serves the others", async () => {
    const { url, alice, bob, conversationId } = await chatting({ ringCapacity: 5 });
    for (let i = 0; i < 12; i++) await sendHttp(server.app, bob, conversationId, `m${i}`);
    await appendTo(server, alice.user.id, "system", 2);
    const s = await stream(url, `device=${randomUUID()}`, bearer(alice));
    const reset = await s.next((e) => e.event === "reset");
    expect(JSON.parse(reset.data)).toEqual({ d: "chat" });
    await eventually(() => versions(s, "system").length === 2);
    expect(s.lastEventId()).toBe("chat:0,system:2,marketing:0");

    // The chat domain waits for the client's snapshot and new stream: a push would skip versions.
    await sendHttp(server.app, bob, conversationId, "after reset");
    await appendTo(server, alice.user.id, "system", 1);
    await eventually(() => versions(s, "system").length === 3);
    expect(versions(s)).toEqual([]);
    expect(s.events.map((e) => e.event)).toEqual(["hello", "reset", "push", "push"]);
  });

  it("sends a ping every heartbeat (and the server's recall window in hello)", async () => {
    const { url, alice } = await chatting({ heartbeatMs: 100, recallWindowMs: 0 });
    const s = await stream(url, `device=${randomUUID()}`, bearer(alice));
    expect(await helloOf(s)).toMatchObject({ heartbeatMs: 100, recallWindowMs: 0 });
    const ping = await s.next((e) => e.event === "ping", 2000);
    expect(JSON.parse(ping.data)).toEqual({ at: expect.any(Number) });
    await eventually(() => s.events.filter((e) => e.event === "ping").length >= 3, 3000);
  });
});

describe("SSE stream endings", () => {
  const closeReason = async (s: SseClient) => JSON.parse((await s.next((e: SseEvent) => e.event === "close")).data) as { reason: string };

  it("logout ends the stream with a close event; reconnecting is refused", async () => {
    const { url, alice } = await chatting();
    const device = randomUUID();
    const s = await stream(url, `device=${device}`, bearer(alice));
    await helloOf(s);
    expect(server.hub.countByTransport()).toEqual({ ws: 0, sse: 1, poll: 0 });
    expect((await call(server.app, "POST", "/api/auth/logout", { token: alice.token })).status).toBe(204);
    expect(await closeReason(s)).toEqual({ reason: "logout" });
    await s.ended;
    expect(server.hub.size).toBe(0);
    expect((await openStream(`${url}/api/stream?device=${device}`, bearer(alice))).status).toBe(401);
  });

  it("removing the device ends its stream", async () => {
    const { url, alice } = await chatting();
    const other = await call<{ token: string }>(server.app, "POST", "/api/auth/login", { body: { username: "alice", password: "correct horse" } });
    const device = randomUUID();
    const s = await stream(url, `device=${device}`, bearer(alice));
    await helloOf(s);
    expect((await call(server.app, "DELETE", `/api/devices/${device}`, { token: other.body.token })).status).toBe(204);
    expect(await closeReason(s)).toEqual({ reason: "device_removed" });
    await s.ended;
  });

  it("a session ended elsewhere (another server process, expiry) ends the stream at the next ping", async () => {
    const { url, alice } = await chatting({ heartbeatMs: 100 });
    const s = await stream(url, `device=${randomUUID()}`, bearer(alice));
    await helloOf(s);
    const session = await server.storage.read(async (r) => r.sessions.find(hashToken(alice.token), Date.now()));
    await server.storage.write(async (tx) => tx.sessions.delete(session!.sessionId));
    expect(await closeReason(s)).toEqual({ reason: "logout" });
    await s.ended;
    expect(server.hub.size).toBe(0);
  });

  it("shutdown ends streams with a close event asking each client to wait its own time before reconnecting", async () => {
    const { url, alice } = await chatting();
    const s = await stream(url, `device=${randomUUID()}`, bearer(alice));
    await helloOf(s);
    const closing = server.close();
    const info = (await closeReason(s)) as { reason: string; retryAfterMs: number };
    expect(info).toEqual({ reason: "shutdown", retryAfterMs: expect.any(Number) });
    expect(info.retryAfterMs).toBeGreaterThanOrEqual(500);
    expect(info.retryAfterMs).toBeLessThanOrEqual(5000);
    await s.ended;
    await closing;
  });

  it("a client that leaves is unregistered; the device shows as live on sse meanwhile", async () => {
    const { url, alice } = await chatting();
    const device = randomUUID();
    const s = await stream(url, `device=${device}`, bearer(alice));
    await helloOf(s);
    const listed = await call<{ devices: { id: string; online: boolean; transport: string | null }[] }>(server.app, "GET", "/api/devices", { token: alice.token });
    expect(listed.body.devices).toEqual([expect.objectContaining({ id: device, online: true, transport: "sse" })]);
    s.close();
    await eventually(() => server.hub.size === 0);
    expect(server.hub.countByTransport().sse).toBe(0);
  });
});

describe("SSE admission", () => {
  it("refuses with JSON errors before any stream starts", async () => {
    const { alice, bob } = await chatting();
    const device = randomUUID();
    const get = (query: string, headers: Record<string, string> = {}) => call(server.app, "GET", `/api/stream?${query}`, { headers });
    const code = async (query: string, headers: Record<string, string>) => {
      const res = await get(query, headers);
      return [res.status, (res.body as { error?: { code: string } }).error?.code];
    };
    expect(await code(`device=${device}`, {})).toEqual([401, "unauthorized"]);
    expect(await code(`device=${device}&cursor=chat:x`, bearer(alice))).toEqual([400, "bad_request"]);
    expect(await code(`device=${device}&cursor=chat:1,chat:2`, bearer(alice))).toEqual([400, "bad_request"]);
    expect(await code(`device=not-a-uuid`, bearer(alice))).toEqual([400, "bad_request"]);
    expect(await code(`cursor=chat:1`, bearer(alice))).toEqual([400, "bad_request"]);
    const badId = await get(`device=${device}`, { ...bearer(alice), "last-event-id": "garbage" });
    expect(badId.status).toBe(400);
    expect((badId.body as { error: { message: string } }).error.message).toMatch(/Last-Event-ID/);

    const bobs = randomUUID();
    expect((await call(server.app, "PUT", `/api/devices/${bobs}`, { token: bob.token, body: { protocol: 1, capabilities: [] } })).status).toBe(200);
    expect(await code(`device=${bobs}`, bearer(alice))).toEqual([409, "conflict"]);

    const cookie = { cookie: `courier_session=${alice.token}` };
    expect(await code(`device=${device}`, { ...cookie, origin: "https://evil.example" })).toEqual([403, "forbidden"]);
    expect(await code(`device=${device}`, { ...cookie, "sec-fetch-site": "cross-site" })).toEqual([403, "forbidden"]);
  });

  it("accepts a cookie without Origin (same-origin EventSource) or with our own Origin", async () => {
    const { url, alice } = await chatting();
    const cookie = `courier_session=${alice.token}`;
    const plain = await stream(url, `device=${randomUUID()}`, { cookie, "sec-fetch-site": "same-origin" });
    expect((await helloOf(plain)).userId).toBe(alice.user.id);
    const own = await stream(url, `device=${randomUUID()}`, { cookie, origin: url });
    expect((await helloOf(own)).transport).toBe("sse");
  });
});
