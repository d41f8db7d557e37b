import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CourierError } from "../../../shared/protocol/index.js";
import { PostgresEngine } from "./engine.js";
import { databaseUrl, deadPort, Engines, MemoryLog, Proxy } from "./test-support.js";

/**
 * The database going away and coming back. A TCP proxy stands in for the
 * server's reachability, so the shared test server keeps running for the
 * other test files.
 */
const engines = new Engines();
const proxies: Proxy[] = [];

// Without a database every test fails with the sentence that says how to get one.
beforeEach(() => {
  databaseUrl();
});

afterEach(async () => {
  for (const proxy of proxies.splice(0)) await proxy.down();
  await engines.cleanup();
});

async function proxy(): Promise<Proxy> {
  const p = Proxy.forDatabase();
  proxies.push(p);
  await p.up();
  return p;
}

const unavailable = {
  code: "unavailable",
  status: 503,
  message: "The database is unavailable; try again shortly.",
};

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CourierError);
  expect(error).toMatchObject(unavailable);
  const retryAfterMs = (error as CourierError).retryAfterMs!;
  expect(retryAfterMs).toBeGreaterThanOrEqual(2000);
  expect(retryAfterMs).toBeLessThanOrEqual(5000);
}

const signUp = (engine: PostgresEngine, id: string) =>
  engine.write(async (tx) => {
    await tx.users.insert({ id, username: id, displayName: id, passwordHash: "h", at: 1 });
    return tx.log.append([{ userId: id, d: "system", k: "welcome", data: {} }], 1);
  });

describe("PostgresEngine when the database is unreachable", () => {
  it("answers 503 for reads and writes while it is down, and works again once it is back, without reopening", async () => {
    const p = await proxy();
    const log = new MemoryLog();
    const engine = await engines.open({ url: p.url(), log });
    await signUp(engine, "before");

    await p.down();
    await expectUnavailable(engine.read(async (r) => r.users.get("before")));
    await expectUnavailable(signUp(engine, "during"));
    await expectUnavailable(signUp(engine, "during"));
    // Logged once for the outage, not once per request, and without parameters.
    expect(log.count("warn", /requests answer 503/)).toBe(1);
    expect(JSON.stringify(log.lines)).not.toContain("during");

    await p.up();
    expect((await signUp(engine, "after")).result).toMatchObject([{ v: 1 }]);
    expect(await engine.read(async (r) => [await r.users.get("before"), await r.users.get("during"), await r.users.get("after")])).toEqual([
      { id: "before", username: "before", displayName: "before" },
      null,
      { id: "after", username: "after", displayName: "after" },
    ]);
    expect(log.count("info", /reachable again/)).toBe(1);
  });

  it("answers 503 busy, not unreachable, when every pooled connection stays taken for the whole wait", async () => {
    const log = new MemoryLog();
    const engine = await engines.open({ poolSize: 1, log });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A write that keeps the only connection (its rule waits on something else: never do this in a rule).
    const holder = engine.write(async (tx) => {
      await tx.users.get("x");
      await held;
    });
    const error = await engine.read(async (r) => r.users.get("x")).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "unavailable", status: 503, message: "The database is busy; try again shortly." });
    expect(log.count("warn", /unreachable/)).toBe(0);
    release();
    await holder;
    expect(await engine.read(async (r) => r.users.get("x"))).toBeNull();
  }, 15_000);

  it("answers 503 for a write whose connection breaks midway, keeps nothing of it, and does not crash", async () => {
    const p = await proxy();
    const engine = await engines.open({ url: p.url() });
    let cut: () => void = () => undefined;
    const wasCut = new Promise<void>((resolve) => (cut = resolve));
    const write = engine.write(async (tx) => {
      await tx.users.insert({ id: "half", username: "half", displayName: "h", passwordHash: "h", at: 1 });
      // The connection breaks while the rule holds it between two statements.
      cut();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await tx.log.append([{ userId: "half", d: "chat", k: "n", data: {} }], 1);
    });
    await wasCut;
    await p.down();
    await expectUnavailable(write);

    await p.up();
    expect(await engine.read(async (r) => r.users.get("half"))).toBeNull();
    await signUp(engine, "whole");
    expect(await engine.read(async (r) => r.log.head("whole", "system"))).toBe(1);
  });

  it("replaces pooled connections that died while idle without failing the next request", async () => {
    const p = await proxy();
    const log = new MemoryLog();
    const engine = await engines.open({ url: p.url(), log, poolSize: 2 });
    await Promise.all([signUp(engine, "a"), signUp(engine, "b")]);
    // Both pooled connections are cut; the proxy accepts new ones at once.
    await p.down();
    await p.up();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await engine.read(async (r) => r.users.get("a"))).toMatchObject({ id: "a" });
    expect(log.count("warn", /idle PostgreSQL connection failed/)).toBeGreaterThanOrEqual(1);
  });

  it("retries once on a fresh connection when a pooled one turns out dead at BEGIN", async () => {
    const p = await proxy();
    const log = new MemoryLog();
    const engine = await engines.open({ url: p.url(), log, poolSize: 1 });
    await signUp(engine, "a");
    // The pooled connection is dead but does not know it yet.
    p.breakSilently();
    expect(await engine.read(async (r) => r.users.get("a"))).toMatchObject({ id: "a" });
    await signUp(engine, "b");
    expect(log.count("warn", /requests answer 503/)).toBe(0);
  });

  it("answers 503 when the database stops answering without closing connections, and recovers", async () => {
    const p = await proxy();
    const engine = await engines.open({ url: p.url(), answerWithinMs: 300 });
    await signUp(engine, "before");
    p.blackhole();
    const started = Date.now();
    // The pooled connection's statement goes unanswered (300 ms), a new connection is never let in (3 s).
    await expectUnavailable(engine.read(async (r) => r.users.get("before")));
    expect(Date.now() - started).toBeLessThan(8000);
    await p.down();
    await p.up();
    expect(await engine.read(async (r) => r.users.get("before"))).toMatchObject({ id: "before" });
  });

  it("keeps trying to open while the database is down, and opens once it is up", async () => {
    const p = await proxy();
    await p.down();
    const log = new MemoryLog();
    const opening = engines.open({ url: p.url(), log, connectTimeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await p.up();
    const engine = await opening;
    expect(log.count("warn", /^PostgreSQL is unreachable; trying again in 1 s\.$/)).toBeGreaterThanOrEqual(1);
    await signUp(engine, "late");
  });

  it("gives up opening after connectTimeoutMs, in one sentence", async () => {
    const port = await deadPort();
    const url = new URL(databaseUrl());
    url.hostname = "127.0.0.1";
    url.port = String(port);
    const log = new MemoryLog();
    const started = Date.now();
    await expect(PostgresEngine.open({ url: url.toString(), ringCapacity: 10, log, connectTimeoutMs: 1200 })).rejects.toThrow(
      /^Could not reach PostgreSQL within 1200 ms \(.*ECONNREFUSED.*\)\.$/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(log.count("warn", /unreachable/)).toBeGreaterThanOrEqual(1);
  });
});
