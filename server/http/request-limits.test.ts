import type { InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { Item } from "../../shared/protocol/index.js";
import { call, captureLogs, connect, type Client, emitAck, listen, openDirect, register, startServer, type TestServer } from "../testing/harness.js";
import { fakeClock, limits } from "./rate-limit-testing.js";

let server: TestServer;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await server?.dispose();
});

async function request(method: InjectOptions["method"], url: string, opts: { token?: string; from?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await server.app.inject({
    method,
    url,
    remoteAddress: opts.from ?? "127.0.0.1",
    headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
    ...(opts.body !== undefined ? { payload: opts.body as InjectOptions["payload"] } : {}),
  });
  const body = res.body ? (JSON.parse(res.body) as { error?: { code: string; message: string } }) : undefined;
  return { status: res.statusCode, code: body?.error?.code, retryAfter: res.headers["retry-after"], body };
}

describe("per client address: every HTTP request", () => {
  it("refuses the request past the limit with 429 rate_limited and Retry-After, whatever the route; other addresses go on", async () => {
    const clock = fakeClock();
    server = await startServer({ rateLimits: limits({ requestsPerIp: { limit: 3, windowMs: 60_000 } }) }, { clock: clock.read });
    const from = "203.0.113.10";
    for (const url of ["/api/health", "/api/me", "/no/such/page"]) expect((await request("GET", url, { from })).status).not.toBe(429);
    expect(await request("GET", "/api/health", { from })).toMatchObject({ status: 429, code: "rate_limited", retryAfter: "20" });
    expect((await request("POST", "/api/auth/login", { from, body: { username: "x", password: "y" } })).status).toBe(429);
    expect((await request("GET", "/api/health", { from: "198.51.100.10" })).status).toBe(200);
    clock.now += 20_000;
    expect((await request("GET", "/api/health", { from })).status).toBe(200);
  });

  it("exempts direct loopback clients (tests and benchmarks) unless RATE_LIMIT_LOOPBACK, never a proxied one", async () => {
    server = await startServer({ rateLimits: limits({ requestsPerIp: { limit: 2, windowMs: 60_000 } }) });
    for (let i = 0; i < 5; i++) expect((await request("GET", "/api/health")).status).toBe(200);
    const proxied = { headers: { "x-forwarded-for": "198.51.100.77" } };
    expect((await request("GET", "/api/health", proxied)).status).toBe(200);
    expect((await request("GET", "/api/health", proxied)).status).toBe(200);
    expect((await request("GET", "/api/health", proxied)).status).toBe(429);
    await server.dispose();

    server = await startServer({ rateLimits: limits({ requestsPerIp: { limit: 2, windowMs: 60_000 }, exemptLoopback: false }) });
    expect((await request("GET", "/api/health")).status).toBe(200);
    expect((await request("GET", "/api/health")).status).toBe(200);
    expect((await request("GET", "/api/health")).status).toBe(429);
  });
});

describe("per user: every authenticated request and socket event, loopback included", () => {
  it("one budget for HTTP and the socket; another user's requests are not affected", async () => {
    server = await startServer({ rateLimits: limits({ requestsPerUser: { limit: 4, windowMs: 60_000 } }) });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const c = connect(url, { token: alice.token, deviceId: crypto.randomUUID(), protocol: 1 });
    clients.push(c);
    await c.hello;

    // The handshake was one.
    expect((await request("GET", "/api/me", { token: alice.token })).status).toBe(200);
    expect((await request("GET", "/api/sync/chat?after=0", { token: alice.token })).status).toBe(200);
    expect(await emitAck(c.socket, "pull", { d: "chat", after: 0 })).toMatchObject({ ok: true });
    // The budget is spent: over HTTP and over the socket alike.
    expect(await request("GET", "/api/me", { token: alice.token })).toMatchObject({ status: 429, code: "rate_limited", retryAfter: "15" });
    expect(await request("GET", "/api/sync/chat?after=0", { token: alice.token })).toMatchObject({ status: 429 });
    expect(await emitAck(c.socket, "send", {})).toMatchObject({ ok: false, error: { code: "rate_limited", retryAfterMs: expect.any(Number) } });
    // Acks and heartbeats have a budget of their own (others' messages cause them): still answered.
    expect(await emitAck(c.socket, "heartbeat", {})).toMatchObject({ ok: true });
    expect(await emitAck(c.socket, "ack", { acks: { chat: 0 } })).toMatchObject({ ok: true });
    // Bob's budget is his own.
    expect((await request("GET", "/api/me", { token: bob.token })).status).toBe(200);
    // Without a session there is no user to count: 401, under the per-address limit only.
    expect((await request("GET", "/api/me")).status).toBe(401);
  });

  it("pulls over HTTP: a user's pulls in flight are capped; more are refused at once and later ones go through", async () => {
    server = await startServer({ connectionLimits: { perDevice: 10, perUser: 50, pullsInFlight: 2 } });
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    // Hold every read of the log until released, to have pulls truly in flight.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    let bothHeld!: () => void;
    const arrived = new Promise<void>((resolve) => (bothHeld = resolve));
    const pull = server.sync.pull.bind(server.sync);
    server.sync.pull = async (...args) => {
      if (++held === 2) bothHeld();
      await gate;
      return pull(...args);
    };
    const first = [request("GET", "/api/sync/chat?after=0", { token: alice.token }), request("GET", "/api/sync/system?after=0", { token: alice.token })];
    await arrived;
    const third = await request("GET", "/api/sync/chat?after=0", { token: alice.token });
    expect(third).toMatchObject({ status: 429, code: "rate_limited", retryAfter: "1" });
    expect(third.body?.error?.message).toMatch(/Too many pulls at once/);
    // Another user is not held by Alice's pulls in flight.
    const bobs = request("GET", "/api/sync/chat?after=0", { token: bob.token });
    release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    expect((await bobs).status).toBe(200);
    expect((await request("GET", "/api/sync/chat?after=0", { token: alice.token })).status).toBe(200);
  });
});

describe("per user and route: listings and settings", () => {
  it("items created per user per hour (300 in a burst pushed everyone off the catalogue): the refused one is not listed", async () => {
    const clock = fakeClock();
    server = await startServer({ rateLimits: limits({ itemsPerUser: { limit: 3, windowMs: 3_600_000 } }) }, { clock: clock.read });
    const seller = await register(server.app, "seller");
    const other = await register(server.app, "other");
    const sell = (s: typeof seller, title: string) => request("POST", "/api/items", { token: s.token, body: { title, priceCents: 100 } });
    for (const t of ["one", "two", "three"]) expect((await sell(seller, t)).status).toBe(201);
    expect(await sell(seller, "four")).toMatchObject({ status: 429, code: "rate_limited", retryAfter: "1200" });
    expect((await sell(other, "theirs")).status).toBe(201);
    const list = await call<{ items: Item[] }>(server.app, "GET", "/api/items", { token: other.token });
    expect(list.body.items.map((i) => i.title).sort()).toEqual(["one", "theirs", "three", "two"]);
    clock.now += 1_200_000;
    expect((await sell(seller, "four")).status).toBe(201);
  });

  it("settings writes per user: conversation settings and push preferences share one allowance", async () => {
    server = await startServer({ rateLimits: limits({ settingsPerUser: { limit: 2, windowMs: 3_600_000 } }) });
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const { conversationId } = await openDirect(server.app, alice, bob);
    const mute = (muted: boolean) => request("PATCH", `/api/conversations/${conversationId}/settings`, { token: alice.token, body: { muted } });
    expect((await mute(true)).status).toBe(200);
    expect((await request("PUT", "/api/push/preferences", { token: alice.token, body: { hidePreviews: true } })).status).toBe(200);
    expect(await mute(false)).toMatchObject({ status: 429, code: "rate_limited" });
    // Reading is not a write.
    expect((await request("GET", "/api/push/preferences", { token: alice.token })).status).toBe(200);
  });
});

describe("admin API: failed token guesses per address", () => {
  const ADMIN = "0123456789abcdef-admin-token";

  it("limits wrong tokens per address, loopback included; the right token from another address still works", async () => {
    server = await startServer({ adminToken: ADMIN, rateLimits: limits({ adminFailuresPerIp: { limit: 2, windowMs: 3_600_000 } }) });
    const campaign = (token: string, from: string) => request("POST", "/api/admin/campaigns", { from, headers: { authorization: `Bearer ${token}` }, body: {} });
    expect((await campaign("guess-number-one-0000", "127.0.0.1")).status).toBe(401);
    expect((await campaign("guess-number-two-0000", "127.0.0.1")).status).toBe(401);
    expect(await campaign("guess-number-three-000", "127.0.0.1")).toMatchObject({ status: 429, code: "rate_limited" });
    // A right token does not help from the guessing address…
    expect((await campaign(ADMIN, "127.0.0.1")).status).toBe(429);
    // …but the operator elsewhere gets through (the empty body is then what is wrong), and isn't counted.
    for (let i = 0; i < 3; i++) expect(await campaign(ADMIN, "198.51.100.30")).toMatchObject({ status: 400, code: "bad_request" });
  });
});

describe("a proxy header while TRUST_PROXY is off (review D7: every client would share the proxy's address)", () => {
  /** The warning about it, among what the server logged. */
  const proxyWarnings = (lines: ReturnType<typeof captureLogs>["lines"]) => lines.filter((l) => l.level === 40 && /but TRUST_PROXY is off/.test(String(l.msg)));

  it("is logged once, naming the fix, from HTTP requests; the forwarded addresses are not logged", async () => {
    const { stream, lines } = captureLogs();
    server = await startServer({ trustProxy: false }, { logger: { stream } });
    expect((await request("GET", "/api/health", { from: "10.0.0.5" })).status).toBe(200);
    expect(proxyWarnings(lines)).toHaveLength(0);
    const proxied: Record<string, string>[] = [{ "x-forwarded-for": "198.51.100.23" }, { "x-forwarded-for": "198.51.100.24" }, { forwarded: "for=198.51.100.25" }];
    for (const headers of proxied) {
      expect((await request("GET", "/api/health", { from: "10.0.0.5", headers })).status).toBe(200);
    }
    const warnings = proxyWarnings(lines);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ header: "x-forwarded-for", peer: "10.0.0.5" });
    expect(warnings[0]!.msg).toMatch(/set TRUST_PROXY=true/);
    expect(JSON.stringify(warnings)).not.toContain("198.51.100.");
  });

  it("is logged once from socket handshakes (socket.io answers them before Fastify's hooks)", async () => {
    const { stream, lines } = captureLogs();
    server = await startServer({ trustProxy: false }, { logger: { stream } });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    for (let i = 0; i < 2; i++) {
      const c = connect(url, { token: alice.token, deviceId: crypto.randomUUID(), protocol: 1 }, { "x-forwarded-for": "198.51.100.23" });
      clients.push(c);
      await c.hello;
    }
    expect(proxyWarnings(lines)).toHaveLength(1);
    expect(proxyWarnings(lines)[0]).toMatchObject({ header: "x-forwarded-for" });
  });

  it("is not logged when TRUST_PROXY is set", async () => {
    const { stream, lines } = captureLogs();
    server = await startServer({ trustProxy: true }, { logger: { stream } });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    expect((await request("GET", "/api/health", { from: "10.0.0.5", headers: { "x-forwarded-for": "198.51.100.23" } })).status).toBe(200);
    const c = connect(url, { token: alice.token, deviceId: crypto.randomUUID(), protocol: 1 }, { "x-forwarded-for": "198.51.100.23" });
    clients.push(c);
    await c.hello;
    expect(proxyWarnings(lines)).toHaveLength(0);
  });
});
