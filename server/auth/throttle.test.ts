import type { InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { register, startServer, type TestServer } from "../testing/harness.js";
import { fakeClock, limits } from "../http/rate-limit-testing.js";

let server: TestServer;
afterEach(async () => {
  await server?.dispose();
});

async function login(username: string, password: string, remoteAddress: string, headers: Record<string, string> = {}) {
  const res = await server.app.inject({ method: "POST", url: "/api/auth/login", payload: { username, password } as InjectOptions["payload"], remoteAddress, headers });
  return { status: res.statusCode, code: (res.json() as { error?: { code: string } }).error?.code, retryAfter: res.headers["retry-after"] };
}

describe("sign-in throttling (finding 4: anyone could lock a user out)", () => {
  it("12 wrong passwords for a username from address X: X is slowed down, the owner at address Y signs in at once", async () => {
    const clock = fakeClock();
    server = await startServer({}, { clock: clock.read });
    await register(server.app, "owner");
    const attacker = "203.0.113.66";

    const attempts = [];
    for (let i = 0; i < 12; i++) attempts.push(await login("owner", `wrong guess ${i}`, attacker));
    expect(attempts.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill(401));
    // The default: 10 per (username, address) per minute.
    expect(attempts.slice(10)).toMatchObject([{ status: 429, code: "rate_limited", retryAfter: "6" }, { status: 429 }]);
    // Even the right password is held back from X while it is throttled (a guess is a guess).
    expect((await login("owner", "correct horse", attacker)).status).toBe(429);

    // The owner, elsewhere: in at once.
    expect((await login("owner", "correct horse", "198.51.100.7")).status).toBe(200);
    // Keeping it up (one guess every 6 s) never reaches the owner.
    for (let i = 0; i < 5; i++) {
      clock.now += 6000;
      expect((await login("owner", `again ${i}`, attacker)).status).toBe(401);
      expect((await login("owner", "correct horse", "198.51.100.7")).status).toBe(200);
    }
  });

  it("applies to loopback clients too (the hostile probes came from 127.0.0.1)", async () => {
    server = await startServer({ rateLimits: limits({ loginPerUsernameIp: { limit: 2, windowMs: 60_000 } }) });
    await register(server.app, "local");
    expect((await login("local", "nope nope 1", "127.0.0.1")).status).toBe(401);
    expect((await login("local", "nope nope 2", "127.0.0.1")).status).toBe(401);
    expect((await login("local", "nope nope 3", "127.0.0.1")).status).toBe(429);
    expect((await login("local", "correct horse", "198.51.100.8")).status).toBe(200);
  });

  it("limits attempts per address whatever the usernames, and a successful sign-in counts against neither limit", async () => {
    server = await startServer({
      rateLimits: limits({ loginPerIp: { limit: 4, windowMs: 60_000 }, loginPerUsernameIp: { limit: 2, windowMs: 60_000 } }),
    });
    await register(server.app, "gina");
    const home = "198.51.100.20";
    // Six successes in a row from one address: none is counted.
    for (let i = 0; i < 6; i++) expect((await login("gina", "correct horse", home)).status).toBe(200);
    expect((await login("gina", "wrong horse", home)).status).toBe(401);

    // Spraying many usernames from one address meets the per-address limit.
    const sprayer = "203.0.113.99";
    for (const name of ["nobody1", "nobody2", "nobody3", "nobody4"]) expect((await login(name, "whatever12", sprayer)).status).toBe(401);
    expect(await login("nobody5", "whatever12", sprayer)).toMatchObject({ status: 429, code: "rate_limited" });
    // …without touching gina at her own address.
    expect((await login("gina", "correct horse", home)).status).toBe(200);
  });

  it("behind TRUST_PROXY keys on the client address the proxy saw", async () => {
    server = await startServer({ trustProxy: 1, rateLimits: limits({ loginPerUsernameIp: { limit: 1, windowMs: 60_000 } }) });
    await register(server.app, "ivy");
    const via = (client: string) => ({ "x-forwarded-for": client });
    expect((await login("ivy", "bad password", "10.0.0.2", via("203.0.113.5"))).status).toBe(401);
    expect((await login("ivy", "bad password", "10.0.0.2", via("203.0.113.5"))).status).toBe(429);
    expect((await login("ivy", "correct horse", "10.0.0.2", via("198.51.100.5"))).status).toBe(200);
  });
});
