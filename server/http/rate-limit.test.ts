import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { Device, Message } from "../../shared/protocol/index.js";
import {
  call,
  connect,
  type Client,
  emitAck,
  listen,
  openDirect,
  register,
  startServer,
  type TestServer,
} from "../testing/harness.js";
import Fastify from "fastify";
import { clientAddress, ipKey, isLoopback, MemoryBuckets, proxyTrust, RateLimiter } from "./rate-limit.js";
import { fakeClock, limits } from "./rate-limit-testing.js";

let server: TestServer;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await server?.dispose();
});

describe("token bucket", () => {
  it("lets a burst of `limit` through, then one per windowMs/limit, with the wait it reports", () => {
    const clock = fakeClock();
    const limiter = new MemoryBuckets({ limit: 3, windowMs: 1000 }, clock.read);
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([null, null, null]);
    expect(limiter.take("a")).toBe(334);
    // Other keys have their own bucket.
    expect(limiter.take("b")).toBeNull();
    clock.now += 333;
    expect(limiter.take("a")).toBe(1);
    clock.now += 1;
    expect(limiter.take("a")).toBeNull();
    // The 2 units over a token carried on: 998 of 1000 to go at 3 per ms.
    expect(limiter.take("a")).toBe(333);
    // A whole window refills the burst, never more than it.
    clock.now += 10_000;
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([null, null, null, 334]);
  });

  it("gives a token back, turns off at limit 0, and refuses with rate_limited and the wait", async () => {
    const clock = fakeClock();
    const rule = { limit: 1, windowMs: 60_000 };
    const limiter = new RateLimiter(rule, new MemoryBuckets(rule, clock.read));
    expect(await limiter.take("u")).toBeNull();
    await limiter.giveBack("u");
    expect(await limiter.take("u")).toBeNull();
    await expect(limiter.enforce("u", "attempts")).rejects.toMatchObject({ code: "rate_limited", status: 429, retryAfterMs: 60_000 });
    const offRule = { limit: 0, windowMs: 1000 };
    const off = new RateLimiter(offRule, new MemoryBuckets(offRule, clock.read));
    for (let i = 0; i < 100; i++) expect(await off.take("x")).toBeNull();
  });

  it("forgets idle keys and never holds more than maxKeys", () => {
    const clock = fakeClock();
    const limiter = new MemoryBuckets({ limit: 2, windowMs: 1000 }, clock.read, 10);
    for (let i = 0; i < 100; i++) limiter.take(`k${i}`);
    expect(limiter.size).toBeLessThanOrEqual(10);
    // The most recent keys survive eviction and keep their count.
    expect(limiter.take("k99")).toBeNull();
    expect(limiter.take("k99")).toBe(500);
    clock.now += 1000;
    for (let i = 0; i < 1000; i++) limiter.take("busy");
    expect(limiter.size).toBe(1);
  });

  it("keys IPv4 as is and IPv6 by /64; knows loopback", () => {
    expect(ipKey("203.0.113.7")).toBe("203.0.113.7");
    expect(ipKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(ipKey("2001:db8:0:12:abcd::1")).toBe("2001:db8:0:12::/64");
    expect(ipKey("2001:0db8:0000:0012:ffff:1:2:3")).toBe("2001:db8:0:12::/64");
    expect(ipKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(ipKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect([isLoopback("127.0.0.1"), isLoopback("::1"), isLoopback("::ffff:127.0.0.1"), isLoopback("10.0.0.1"), isLoopback(undefined)]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe("the client address of a socket handshake", () => {
  it("is Fastify's req.ip under every TRUST_PROXY: one trust for both, so a handshake and a request from one client share its budget", async () => {
    const forwarded = ["203.0.113.9", "198.51.100.7, 203.0.113.9", "10.1.1.1, 198.51.100.7, 203.0.113.9", "not-an-address", undefined];
    for (const trustProxy of [false, true, 1, 2]) {
      const app = Fastify({ trustProxy: proxyTrust(trustProxy) });
      app.get("/", async (req) => ({ fastify: req.ip, ours: clientAddress(req.raw, trustProxy) }));
      for (const xff of forwarded) {
        for (const remoteAddress of ["127.0.0.1", "192.0.2.50", "::1"]) {
          const res = await app.inject({ url: "/", remoteAddress, headers: xff === undefined ? {} : { "x-forwarded-for": xff } });
          const { fastify, ours } = res.json<{ fastify: string; ours: string }>();
          expect(ours, `TRUST_PROXY=${trustProxy} from ${remoteAddress} forwarded for ${xff}`).toBe(fastify);
        }
      }
      await app.close();
    }
    // And the trust is the one meant: a hop count believes that many proxies, never the client's own entries.
    const raw = (xff: string) => ({ headers: { "x-forwarded-for": xff }, socket: { remoteAddress: "127.0.0.1" } }) as unknown as IncomingMessage;
    expect(clientAddress(raw("198.51.100.7, 203.0.113.9"), 1)).toBe("203.0.113.9");
    expect(clientAddress(raw("198.51.100.7, 203.0.113.9"), 2)).toBe("198.51.100.7");
    expect(clientAddress(raw("198.51.100.7, 203.0.113.9"), true)).toBe("198.51.100.7");
    expect(clientAddress(raw("198.51.100.7, 203.0.113.9"), false)).toBe("127.0.0.1");
  });
});

type Inject = Pick<InjectOptions, "remoteAddress" | "headers">;

async function post(server: TestServer, url: string, body: unknown, from: Inject) {
  const res = await server.app.inject({ method: "POST", url, payload: body as InjectOptions["payload"], ...from });
  return { status: res.statusCode, body: res.json() as { error?: { code: string } }, retryAfter: res.headers["retry-after"] };
}

describe("rate limits on sign-up and sign-in", () => {
  it("limits sign-ups per client address with 429 rate_limited and Retry-After; other addresses and time are unaffected", async () => {
    const clock = fakeClock();
    server = await startServer({ rateLimits: limits({ registerPerIp: { limit: 3, windowMs: 60_000 } }) }, { clock: clock.read });
    const from = { remoteAddress: "203.0.113.7" };
    const signUp = (name: string, origin: Inject = from) => post(server, "/api/auth/register", { username: name, password: "sturdy-pass-42" }, origin);
    for (const name of ["ann", "ben", "cat"]) expect((await signUp(name)).status).toBe(201);

    const refused = await signUp("dan");
    expect(refused).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } }, retryAfter: "20" });
    // Nothing was created for the refused attempt.
    expect((await signUp("dan", { remoteAddress: "198.51.100.2" })).status).toBe(201);

    clock.now += 20_000;
    expect((await signUp("eve")).status).toBe(201);
    expect((await signUp("fay")).status).toBe(429);
  });

  it("exempts direct loopback clients only: a proxied request or RATE_LIMIT_LOOPBACK=true is limited", async () => {
    server = await startServer({ rateLimits: limits({ registerPerIp: { limit: 1, windowMs: 60_000 } }) });
    const body = (n: string) => ({ username: n, password: "sturdy-pass-42" });
    for (const n of ["local1", "local2", "local3"]) expect((await post(server, "/api/auth/register", body(n), { remoteAddress: "127.0.0.1" })).status).toBe(201);
    const proxied = { remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": "198.51.100.9" } };
    expect((await post(server, "/api/auth/register", body("prox1"), proxied)).status).toBe(201);
    expect((await post(server, "/api/auth/register", body("prox2"), proxied)).status).toBe(429);
    await server.dispose();

    server = await startServer({ rateLimits: limits({ registerPerIp: { limit: 1, windowMs: 60_000 }, exemptLoopback: false }) });
    expect((await post(server, "/api/auth/register", body("strict1"), { remoteAddress: "127.0.0.1" })).status).toBe(201);
    expect((await post(server, "/api/auth/register", body("strict2"), { remoteAddress: "127.0.0.1" })).status).toBe(429);
  });

  it("behind TRUST_PROXY=1 keys on the address the proxy saw, which a client can't spoof", async () => {
    server = await startServer({ trustProxy: 1, rateLimits: limits({ registerPerIp: { limit: 1, windowMs: 60_000 } }) });
    const via = (spoofed: string) => ({ remoteAddress: "10.0.0.2", headers: { "x-forwarded-for": `${spoofed}, 203.0.113.50` } });
    expect((await post(server, "/api/auth/register", { username: "first", password: "sturdy-pass-42" }, via("1.1.1.1"))).status).toBe(201);
    expect((await post(server, "/api/auth/register", { username: "second", password: "sturdy-pass-42" }, via("2.2.2.2"))).status).toBe(429);
  });
});

describe("rate limit on sending", () => {
  it("limits sends per user over HTTP and the socket together; a refused send appends nothing", async () => {
    const clock = fakeClock();
    server = await startServer({ rateLimits: limits({ sendPerUser: { limit: 3, windowMs: 10_000 } }) }, { clock: clock.read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    const payload = (body: string) => ({ clientMsgId: randomUUID(), conversationId: conv.conversationId, kind: "text", body });
    const c = connect(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    clients.push(c);
    await c.hello;

    expect((await call(server.app, "POST", "/api/messages", { token: alice.token, body: payload("1") })).status).toBe(201);
    expect(await emitAck(c.socket, "send", payload("2"))).toMatchObject({ ok: true });
    expect((await call(server.app, "POST", "/api/messages", { token: alice.token, body: payload("3") })).status).toBe(201);
    const heads = await server.sync.heads(bob.user.id);

    const http = await call(server.app, "POST", "/api/messages", { token: alice.token, body: payload("4") });
    expect(http).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } } });
    expect(http.headers["retry-after"]).toBe("4");
    const socket = await emitAck<{ ok: boolean; error: { code: string; message: string; retryAfterMs: number } }>(c.socket, "send", payload("5"));
    expect(socket).toMatchObject({ ok: false, error: { code: "rate_limited", retryAfterMs: 3334 } });
    expect(socket.error.message).toMatch(/try again/);
    expect(await server.sync.heads(bob.user.id)).toEqual(heads);
    // Bob's own allowance is his.
    expect((await call(server.app, "POST", "/api/messages", { token: bob.token, body: payload("from bob") })).status).toBe(201);

    clock.now += 3334;
    const later = await emitAck<{ ok: boolean; message: Message }>(c.socket, "send", payload("6"));
    expect(later).toMatchObject({ ok: true, message: { body: "6" } });
  });

  it("lets the default allowance take 200 queued messages at once", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    const c = connect(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    clients.push(c);
    await c.hello;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        emitAck<{ ok: boolean }>(c.socket, "send", { clientMsgId: randomUUID(), conversationId: conv.conversationId, kind: "text", body: `q${i}` }),
      ),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
  }, 30_000);
});

describe("device cap", () => {
  it("forgets the least recently seen device beyond the cap and closes its socket; it can register again", async () => {
    const clock = fakeClock();
    server = await startServer({ maxDevicesPerUser: 3 }, { clock: clock.read });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const oldest = randomUUID();
    const c = connect(url, { token: alice.token, deviceId: oldest, protocol: 1 });
    clients.push(c);
    await c.hello;
    const closed = new Promise<string>((resolve) => c.socket.once("disconnect", resolve));

    const put = (id: string) => call(server.app, "PUT", `/api/devices/${id}`, { token: alice.token, body: { protocol: 1, capabilities: ["ack"] } });
    const newer = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of newer) {
      clock.now += 1000;
      expect((await put(id)).status).toBe(200);
    }
    expect(await closed).toBe("io server disconnect");
    const list = await call<{ devices: Device[] }>(server.app, "GET", "/api/devices", { token: alice.token });
    expect(list.body.devices.map((d) => d.id).sort()).toEqual([...newer].sort());
    // Its session still works: the old browser simply registers again (and the now-oldest goes).
    clock.now += 1000;
    expect((await put(oldest)).status).toBe(200);
    const after = await call<{ devices: Device[] }>(server.app, "GET", "/api/devices", { token: alice.token });
    expect(after.body.devices.map((d) => d.id).sort()).toEqual([oldest, newer[1]!, newer[2]!].sort());
  });
});
