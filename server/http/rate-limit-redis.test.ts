import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { RedisLink } from "../cluster/redis-link.js";
import { DEFAULT_RATE_LIMITS, type RateLimit, type RateLimits } from "../config.js";
import { deadPort, MemoryLog, Proxy } from "../storage/postgres/test-support.js";
import { eventually } from "../testing/harness.js";
import { Limits, MemoryBuckets } from "./rate-limit.js";
import { RedisBuckets } from "./rate-limit-redis.js";

/** The tests run against a real Redis; they fail, never skip, without one. */
function redisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error("Set TEST_REDIS_URL or run the tests through npm test, which starts Redis.");
  return url;
}

const links: RedisLink[] = [];
const proxies: Proxy[] = [];
afterEach(async () => {
  for (const proxy of proxies.splice(0)) await proxy.down();
  for (const link of links.splice(0)) await link.close();
});

async function openLink(url = redisUrl()): Promise<RedisLink> {
  const link = new RedisLink(url, { log: new MemoryLog(), maxReconnectDelayMs: 50 });
  links.push(link);
  await link.connect();
  return link;
}

/** One server process's limits: its own link to Redis, its own memory, its own log. */
function processLimits(link: RedisLink, rules: Partial<RateLimits>, log = new MemoryLog()): Limits {
  return new Limits({ ...DEFAULT_RATE_LIMITS, ...rules }, Date.now, link, log);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const takes = (limits: Limits, key: string, n: number) => Promise.all(Array.from({ length: n }, () => limits.sendPerUser.take(key)));
const PER_PROCESS = /rate limits are per process while Redis is down/;

describe("rate limits shared through Redis", () => {
  it("gives two processes one budget: limit 5, 3 sends on one and 3 on the other, the 6th is refused", async () => {
    const log = new MemoryLog();
    const a = processLimits(await openLink(), { sendPerUser: { limit: 5, windowMs: 60_000 } }, log);
    const b = processLimits(await openLink(), { sendPerUser: { limit: 5, windowMs: 60_000 } }, log);
    const user = randomUUID();

    expect(await takes(a, user, 3)).toEqual([null, null, null]);
    expect(await takes(b, user, 2)).toEqual([null, null]);
    // One token every 12 s, less the few ms of refill since the burst began.
    const wait = await b.sendPerUser.take(user);
    expect(wait).toBeGreaterThan(11_000);
    expect(wait).toBeLessThanOrEqual(12_000);
    await expect(a.sendPerUser.enforce(user, "messages")).rejects.toMatchObject({ code: "rate_limited", status: 429, message: expect.stringMatching(/try again in 1[12] s/) });
    // Another user's budget is untouched, and nothing fell back.
    expect(await b.sendPerUser.take(randomUUID())).toBeNull();
    expect(log.lines).toEqual([]);
  });

  it("gives a token back for every process: a successful sign-in on one frees the username on another", async () => {
    const a = processLimits(await openLink(), { loginPerUsernameIp: { limit: 1, windowMs: 60_000 } });
    const b = processLimits(await openLink(), { loginPerUsernameIp: { limit: 1, windowMs: 60_000 } });
    const username = randomUUID();

    expect(await a.loginPerUsernameIp.take(username)).toBeNull();
    expect(await b.loginPerUsernameIp.take(username)).toBeGreaterThan(59_000);
    await a.loginPerUsernameIp.giveBack(username);
    expect(await b.loginPerUsernameIp.take(username)).toBeNull();
    expect(await a.loginPerUsernameIp.take(username)).toBeGreaterThan(59_000);
  });

  it("refills on the memory bucket's schedule, by the Redis server's clock", async () => {
    const link = await openLink();
    const rule: RateLimit = { limit: 2, windowMs: 40 };
    const name = `schedule-${randomUUID()}`;
    const key = randomUUID();
    const redis = new RedisBuckets(link, name, rule);
    // The same operations on a memory bucket whose clock reads the time Redis saw.
    let redisNow = 0;
    const memory = new MemoryBuckets(rule, () => redisNow);
    const take = async () => {
      const shared = await redis.take(key);
      redisNow = Number(await link.command.hget(`rl:${name}:${key}`, "at"));
      return { shared, memory: memory.take(key) };
    };

    const results = [await take(), await take(), await take()];
    expect(results[2]!.shared).toBeGreaterThan(0);
    await sleep(5);
    results.push(await take());
    // Wait what the bucket last asked. On a slow machine the take just made may have been let through (the
    // refill came during the 5 ms, and more): then a whole token's time.
    await sleep((results[3]!.shared ?? rule.windowMs / rule.limit) + 1);
    const refilled = await take();
    expect(refilled.shared).toBeNull();
    results.push(refilled, await take());
    await redis.giveBack(key);
    memory.giveBack(key);
    results.push(await take(), await take());
    // Idle past a full refill: the key is gone in Redis, the burst is whole again and no more.
    await sleep(2 * rule.windowMs + 5);
    expect(await link.command.exists(`rl:${name}:${key}`)).toBe(0);
    results.push(await take(), await take(), await take());

    for (const r of results) expect(r.shared).toBe(r.memory);
    expect(results.slice(-3).map((r) => r.shared === null)).toEqual([true, true, false]);
  });
});

describe("rate limits while Redis is down", () => {
  it("limit per process when Redis can't be reached, and say so once", async () => {
    const log = new MemoryLog();
    const limits = processLimits(
      await openLink(`redis://127.0.0.1:${await deadPort()}`),
      { sendPerUser: { limit: 2, windowMs: 60_000 }, loginPerUsernameIp: { limit: 1, windowMs: 60_000 } },
      log,
    );
    const started = performance.now();
    const waits = await takes(limits, "u", 3);
    expect(waits.slice(0, 2)).toEqual([null, null]);
    expect(waits[2]).toBeGreaterThan(29_000);
    await expect(limits.sendPerUser.enforce("u", "messages")).rejects.toMatchObject({ code: "rate_limited", status: 429 });
    expect(await limits.loginPerUsernameIp.take("name")).toBeNull();
    await limits.loginPerUsernameIp.giveBack("name");
    expect(await limits.loginPerUsernameIp.take("name")).toBeNull();
    // The link is known down: no take waits for Redis.
    expect(performance.now() - started).toBeLessThan(100);
    expect(log.count("warn", PER_PROCESS)).toBe(1);
    expect(log.lines).toHaveLength(1);
  });

  it("falls back when Redis goes away or stalls, returns to the shared budget when it answers, and logs each change once", async () => {
    const log = new MemoryLog();
    const target = new URL(redisUrl());
    const proxy = new Proxy({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    await proxy.up();
    const viaProxy = await openLink(`redis://127.0.0.1:${proxy.port}`);
    const rules = { sendPerUser: { limit: 3, windowMs: 60_000 } };
    const a = processLimits(viaProxy, rules, log);
    const b = processLimits(await openLink(), rules);
    const user = randomUUID();

    expect(await takes(a, user, 1)).toEqual([null]);
    expect((await takes(b, user, 3)).map((wait) => wait === null)).toEqual([true, true, false]);

    // Redis goes away: process A decides alone, from its own full bucket.
    await proxy.down();
    await eventually(() => !viaProxy.up, 2000);
    expect((await takes(a, user, 4)).map((wait) => wait === null)).toEqual([true, true, true, false]);
    expect(log.count("warn", PER_PROCESS)).toBe(1);

    // Back: the shared budget, which B spent, applies again.
    await proxy.up();
    await eventually(() => viaProxy.up, 2000);
    expect(await a.sendPerUser.take(user)).toBeGreaterThan(0);
    expect(log.count("info", /per cluster again/)).toBe(1);

    // Redis stops answering while the link looks up: a take waits ~200 ms, then A decides alone.
    proxy.blackhole();
    const other = randomUUID();
    const started = performance.now();
    expect(await a.sendPerUser.take(other)).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(log.count("warn", PER_PROCESS)).toBe(2);
    // That take never reached Redis: B still has the whole budget for that user.
    expect((await takes(b, other, 4)).map((wait) => wait === null)).toEqual([true, true, true, false]);
    expect(log.lines).toHaveLength(3);
  });
});
