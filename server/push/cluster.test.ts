import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { TransportName } from "../../shared/protocol/index.js";
import { type Presence, RedisPresence } from "../cluster/presence.js";
import { RedisLink } from "../cluster/redis-link.js";
import { DEFAULT_PUSH_CONFIG } from "../config.js";
import type { Appended } from "../storage/storage.js";
import { MemoryLog, Proxy } from "../storage/postgres/test-support.js";
import { type Connection, Hub, type HubObserver } from "../sync/hub.js";
import { call, eventually, openDirect, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";
import type { Timers } from "./collapse.js";
import { PushFunnel } from "./funnel.js";
import { PushService } from "./service.js";
import { RedisGuard } from "./redis-guard.js";
import { type Batch, SharedWindows } from "./shared-windows.js";
import { ScriptedPushService } from "./testing/scripted-push.js";

/**
 * Web Push on two processes ("p1", "p2") sharing one database and one Redis:
 * each a PushService with its own hub, its own Redis link and its own log,
 * over the storage of one test server (which makes the entries; a test hands
 * each committed batch to the process it says committed it). Windows close
 * when a test says so (manual timers); Redis TTLs are far longer than a test.
 */

/** The tests run against a real Redis; they fail, never skip, without one. */
function redisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error("Set TEST_REDIS_URL or run the tests through npm test, which starts Redis.");
  return url;
}

const manual: Timers = { setTimeout: () => null, clearTimeout: () => {} };
const HOUR = 60 * 60_000;

/** Cluster presence as a test sets it: the connections of every process's hub, or "not known". */
class FakePresence implements Presence, HubObserver {
  known = true;
  private readonly conns = new Set<Connection>();
  liveDevices(userId: string): Promise<Map<string, TransportName> | null> {
    if (!this.known) return Promise.resolve(null);
    const live = new Map<string, TransportName>();
    for (const c of this.conns) if (c.userId === userId) live.set(c.deviceId, c.transport);
    return Promise.resolve(live);
  }
  added(conn: Connection): void {
    this.conns.add(conn);
  }
  removed(conn: Connection): void {
    this.conns.delete(conn);
  }
  pushed(): void {}
}

const isObserver = (p: object): p is HubObserver => "added" in p && "removed" in p;

interface Proc {
  push: PushService;
  hub: Hub;
  funnel: PushFunnel;
  log: MemoryLog;
  link: RedisLink | null;
}

let server: TestServer | undefined;
const cleanups: (() => Promise<void>)[] = [];
const proxies: Proxy[] = [];
afterEach(async () => {
  // Redis reachable again first: closing a link waits for its QUIT.
  for (const proxy of proxies.splice(0)) await proxy.down();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.dispose();
  server = undefined;
});

async function openLink(url = redisUrl()): Promise<RedisLink> {
  const link = new RedisLink(url, { log: new MemoryLog(), maxReconnectDelayMs: 50 });
  cleanups.push(() => link.close());
  await link.connect();
  await eventually(() => link.up);
  return link;
}

/** A proxy in front of the test Redis, to take it away mid-test. */
async function redisProxy(): Promise<Proxy> {
  const url = new URL(redisUrl());
  const proxy = new Proxy({ host: url.hostname || "127.0.0.1", port: Number(url.port || 6379) });
  await proxy.up();
  proxies.push(proxy);
  return proxy;
}

async function setUp() {
  let now = Date.parse("2026-03-10T10:00:00Z");
  const clock = () => now;
  const service = new ScriptedPushService();
  const config = { ...DEFAULT_PUSH_CONFIG, subject: "mailto:ops@courier.example" };
  // The test server's own push service notifies nobody (its requests go nowhere).
  server = await startServer({ push: config }, { clock, push: { timers: manual, resolve: async () => ["93.184.216.34"], transport: async () => ({ status: 201, headers: {} }) } });
  const app = server.app;
  const batches: Appended[] = [];
  server.hub.onPublish((appended) => batches.push(appended));

  /** A process: its own hub (observed by `presence` when that is an observer), link, funnel and log. */
  const proc = async (link: RedisLink | null, presenceOf: Presence | ((hub: Hub) => Presence)): Promise<Proc> => {
    const hub = new Hub();
    const presence = typeof presenceOf === "function" ? presenceOf(hub) : presenceOf;
    if (isObserver(presence)) hub.observe(presence);
    const funnel = new PushFunnel();
    const log = new MemoryLog();
    const push = new PushService(
      { storage: server!.storage, sync: server!.sync, hub, config, clock, funnel, log, presence, redis: link },
      { timers: manual, resolve: async () => ["93.184.216.34"], transport: service.transport, shareGraceMs: HOUR },
    );
    hub.observe(push.hubObserver);
    await push.start();
    cleanups.push(() => push.close(100));
    return { push, hub, funnel, log, link };
  };

  /** Two processes, each on its own link to the test Redis, sharing a fake presence. */
  const pair = async () => {
    const presence = new FakePresence();
    return { presence, p1: await proc(await openLink(), presence), p2: await proc(await openLink(), presence) };
  };

  /**
   * Runs `write` on the test server and hands what it committed to `on` (the
   * process that "committed" it), then waits for `on` to have routed it: the
   * next commit is routed after this one, as messages some time apart would
   * be (otherwise which process opens a shared window is a race).
   */
  const commit = async <T>(on: Proc, write: () => Promise<T>): Promise<T> => {
    const result = await write();
    for (const appended of batches.splice(0)) on.push.appended(appended);
    await on.push.quiet();
    return result;
  };

  /** Lets routing end everywhere, then closes every window in the order given (the owner of a shared window first, as time would). */
  const settle = async (...procs: Proc[]) => {
    for (const p of procs) await p.push.quiet();
    for (const p of procs) {
      p.push.flushWindows();
      await p.push.idle();
    }
  };

  const alice = await register(app, "alice");
  const bob = await register(app, "bob");
  const dev = await service.subscribe(app, bob);
  const conv = await openDirect(app, alice, bob);
  batches.splice(0);
  const send = (on: Proc, body: string) =>
    commit(on, () => {
      now += 10;
      return sendHttp(app, alice, conv.conversationId, body);
    });
  const read = (on: Proc, seq: number) =>
    commit(on, () => call(app, "POST", `/api/conversations/${conv.conversationId}/read`, { token: bob.token, body: { seq } }));
  return { service, proc, pair, commit, settle, send, read, alice, bob, dev, conv, app, advance: (ms: number) => (now += ms), clock };
}

function liveConnection(s: Session, deviceId: string): Connection {
  return { id: randomUUID(), userId: s.user.id, deviceId, sessionId: "s", transport: "poll", push() {}, close() {} };
}

const FELL_BACK = /decides from this process alone/;

describe("web push across processes", () => {
  it("sends nothing for an entry committed on p1 to a device live on p2 (fake presence); a device live nowhere still gets it", async () => {
    const t = await setUp();
    const { p1, p2 } = await t.pair();
    const laptop = await t.service.subscribe(t.app, t.bob);
    p2.hub.add(liveConnection(t.bob, t.dev.deviceId));

    await t.send(p1, "hi");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint)).toEqual([]);
    expect(t.service.to(laptop.endpoint)).toEqual([expect.objectContaining({ body: "hi", count: 1 })]);
    expect(p1.funnel.snapshot().dropped.live).toBe(1);
    expect(p1.log.lines).toEqual([]);
  });

  it("sends nothing to a device live on p2 with presence in Redis (RedisPresence), and sends once it has gone", async () => {
    const t = await setUp();
    const [link1, link2] = [await openLink(), await openLink()];
    let presence1: RedisPresence | undefined;
    const p1 = await t.proc(link1, (hub) => (presence1 = new RedisPresence(link1, hub, t.clock, new MemoryLog())));
    const p2 = await t.proc(link2, (hub) => new RedisPresence(link2, hub, t.clock, new MemoryLog()));
    const conn = liveConnection(t.bob, t.dev.deviceId);
    p2.hub.add(conn);
    await eventually(async () => (await presence1!.liveDevices(t.bob.user.id))?.has(t.dev.deviceId) === true);

    await t.send(p1, "are you there?");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint)).toEqual([]);
    expect(p1.funnel.snapshot().dropped.live).toBe(1);

    p2.hub.remove(conn);
    await eventually(async () => (await presence1!.liveDevices(t.bob.user.id))?.has(t.dev.deviceId) === false);
    await t.send(p1, "gone?");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint)).toEqual([expect.objectContaining({ body: "gone?" })]);
  });

  it("sends when presence is not known (a device live on p2 may get one too many, never none), and says so once", async () => {
    const t = await setUp();
    const { presence, p1, p2 } = await t.pair();
    p2.hub.add(liveConnection(t.bob, t.dev.deviceId));
    presence.known = false;

    await t.send(p1, "one");
    await t.settle(p1, p2);
    await t.send(p1, "two");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint).map((p) => p.body)).toEqual(["one", "two"]);
    expect(p1.log.count("warn", FELL_BACK)).toBe(1);

    // Known again: live on p2, nothing; the recovery is noted once.
    presence.known = true;
    await t.send(p1, "three");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint)).toHaveLength(2);
    expect(p1.log.count("info", /again/)).toBe(1);
  });

  it("hands over a device that left p1 unless it is live again on p2, by presence", async () => {
    const t = await setUp();
    const { p1, p2 } = await t.pair();
    // Delivered live on p1 (nothing sent), then p1 finds the connection dead while the device is back on p2.
    const onP1 = liveConnection(t.bob, t.dev.deviceId);
    p1.hub.add(onP1);
    await t.send(p1, "while you were away");
    await t.settle(p1, p2);
    p1.hub.remove(onP1);
    const onP2 = liveConnection(t.bob, t.dev.deviceId);
    p2.hub.add(onP2);
    p1.push.handOver(t.bob.user.id, t.dev.deviceId, "disconnected");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint)).toEqual([]);
    // Gone from p2 as well: the hand-over notifies.
    p2.hub.remove(onP2);
    p1.push.handOver(t.bob.user.id, t.dev.deviceId, "disconnected");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint)).toEqual([expect.objectContaining({ body: "while you were away" })]);
  });

  it("collapses messages committed on p1 and p2 within one window into ONE notification with the combined count", async () => {
    const t = await setUp();
    const { p1, p2 } = await t.pair();

    await t.send(p1, "first, on p1");
    await t.send(p2, "second, on p2");
    await t.send(p1, "third, on p1");
    await t.send(p2, "fourth, on p2");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint)).toEqual([expect.objectContaining({ count: 4, body: "fourth, on p2" })]);
    expect(p1.funnel.snapshot().collapsed + p2.funnel.snapshot().collapsed).toBe(3);

    // The next window is p2's; the unseen count carries over across processes and windows.
    await t.send(p2, "fifth, on p2");
    await t.send(p1, "sixth, on p1");
    await t.settle(p2, p1);
    expect(t.service.to(t.dev.endpoint).map((p) => [p.count, p.body])).toEqual([
      [4, "fourth, on p2"],
      [6, "sixth, on p1"],
    ]);
    expect(p1.log.lines).toEqual([]);
    expect(p2.log.lines).toEqual([]);
  });

  it("keeps no message text in Redis while a shared window is open; the preview is read from storage when it closes", async () => {
    const t = await setUp();
    const { p1, p2 } = await t.pair();
    await t.send(p1, "opened on p1");
    await t.send(p2, "the vault code is 0451");
    for (const p of [p1, p2]) await p.push.quiet();
    const redis = p1.link!.command;
    const keys = await redis.keys(`p*{${t.bob.user.id}}*`);
    expect(keys.some((k) => k.startsWith("pw:"))).toBe(true);
    for (const k of keys) {
      const type = await redis.type(k);
      const value = JSON.stringify(type === "hash" ? await redis.hgetall(k) : type === "zset" ? await redis.zrange(k, 0, -1, "WITHSCORES") : await redis.get(k));
      expect(value).not.toContain("0451");
      expect(value).not.toContain("opened on p1");
    }
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint)).toEqual([expect.objectContaining({ count: 2, body: "the vault code is 0451" })]);
  });

  it("collapses other categories the same way: follows on p1 and p2, one notification counting both, naming the newest", async () => {
    const t = await setUp();
    const { p1, p2 } = await t.pair();
    const carol = await register(t.app, "carol");
    const follow = (s: Session) => () => call(t.app, "POST", `/api/users/${t.bob.user.id}/follow`, { token: s.token });
    await t.commit(p1, follow(t.alice));
    t.advance(10);
    await t.commit(p2, follow(carol));
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint)).toEqual([expect.objectContaining({ category: "follow", count: 2, title: "2 new followers", body: "The latest: Carol (@carol)" })]);
  });

  it("sends what p2 added when p1 died holding the window; sends each process's own when Redis lost the window", async () => {
    const t = await setUp();
    const { presence, p1, p2 } = await t.pair();

    // p1 opens, p2 adds, p1 dies (never closes its window): p2 takes the window over.
    await t.send(p1, "lost with p1");
    await t.send(p2, "added by p2");
    await t.settle(p2);
    expect(t.service.to(t.dev.endpoint)).toEqual([expect.objectContaining({ body: "added by p2", count: 1 })]);

    // A fresh pair; Redis forgets the window between the two (a restart without persistence): each sends its own.
    const p3 = await t.proc(await openLink(), presence);
    const p4 = await t.proc(await openLink(), presence);
    await t.send(p3, "opened by p3");
    await t.send(p4, "added by p4");
    const redis = await openLink();
    expect(await redis.command.del(`pw:{${t.bob.user.id}}:${t.dev.deviceId}:c:${t.conv.conversationId}`)).toBe(1);
    await t.settle(p3, p4);
    expect(t.service.to(t.dev.endpoint).slice(1).map((p) => p.body)).toEqual(["opened by p3", "added by p4"]);
  });

  it("an owner whose TAKE got no answer (tombstone left pending): the process that added sends its own as well", async () => {
    const t = await setUp();
    const { p1, p2 } = await t.pair();
    await t.send(p1, "opened by p1");
    await t.send(p2, "added by p2");
    await Promise.all([p1.push.quiet(), p2.push.quiet()]);
    // p1's TAKE runs in Redis, but p1 never hears back (nor confirms).
    const window = `pw:{${t.bob.user.id}}:${t.dev.deviceId}:c:${t.conv.conversationId}`;
    const redis = p1.link!.command;
    const token = (await redis.hget(window, "o"))!;
    const [took] = await redis.courierPushTake(window, window.replace("pw:", "pwt:"), token, HOUR);
    expect(took).toBe("took");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint).map((p) => p.body)).toEqual(["opened by p1", "added by p2"]);
  });

  it("a read on p1 resets the unseen count p2 uses; so does the device coming live on p1", async () => {
    const t = await setUp();
    const { p1, p2 } = await t.pair();

    await t.send(p1, "a");
    await t.settle(p1);
    const b = await t.send(p2, "b");
    await t.settle(p2);
    expect(t.service.to(t.dev.endpoint).map((p) => [p.count, p.body])).toEqual([
      [1, "a"],
      [2, "b"],
    ]);

    await t.read(p1, b.seq);
    await t.send(p2, "c");
    await t.settle(p2);
    expect(t.service.to(t.dev.endpoint).at(-1)).toMatchObject({ count: 1, body: "c" });

    await t.send(p2, "d");
    await t.settle(p2);
    expect(t.service.to(t.dev.endpoint).at(-1)).toMatchObject({ count: 2, body: "d" });

    // Live on p1 for a moment (its lastSeen does not move): p2 counts from zero.
    t.advance(10);
    const conn = liveConnection(t.bob, t.dev.deviceId);
    p1.hub.add(conn);
    p1.hub.remove(conn);
    await p1.push.quiet();
    await t.send(p2, "e");
    await t.settle(p2);
    expect(t.service.to(t.dev.endpoint).at(-1)).toMatchObject({ count: 1, body: "e" });
  });

  it("Redis down mid-window: each process decides alone (two notifications, none lost), nothing throws, one warning each", async () => {
    const t = await setUp();
    const proxy = await redisProxy();
    const presence = new FakePresence();
    const link1 = await openLink(`redis://127.0.0.1:${proxy.port}`);
    const link2 = await openLink(`redis://127.0.0.1:${proxy.port}`);
    const p1 = await t.proc(link1, presence);
    const p2 = await t.proc(link2, presence);

    await t.send(p1, "before the outage, p1");
    await proxy.down();
    await eventually(() => !link1.up && !link2.up);
    await t.send(p2, "during, p2");
    await t.send(p2, "during, p2 again");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint).map((p) => [p.count, p.body])).toEqual([
      [1, "before the outage, p1"],
      [2, "during, p2 again"],
    ]);
    expect(p1.log.count("warn", FELL_BACK)).toBe(1);
    expect(p2.log.count("warn", FELL_BACK)).toBe(1);

    // Back: shared again (p1 opens, p2 adds: one notification), each noting it once.
    await proxy.up();
    await eventually(() => link1.up && link2.up);
    await t.send(p1, "after, p1");
    await t.send(p2, "after, p2");
    await t.settle(p1, p2);
    expect(t.service.to(t.dev.endpoint).slice(2)).toEqual([expect.objectContaining({ body: "after, p2" })]);
    expect(p1.log.count("info", /again/)).toBe(1);
    expect(p2.log.count("info", /again/)).toBe(1);
    expect(p1.log.count("warn", FELL_BACK) + p2.log.count("warn", FELL_BACK)).toBe(2);
  });

  it("Redis silent (connected, never answering): the same fallback after the timeout, without Redis (no link) no warning at all", async () => {
    const t = await setUp();
    const proxy = await redisProxy();
    const presence = new FakePresence();
    const link = await openLink(`redis://127.0.0.1:${proxy.port}`);
    const p1 = await t.proc(link, presence);
    const single = await t.proc(null, presence);
    proxy.blackhole();
    expect(link.up).toBe(true);

    await t.send(p1, "into the silence");
    await t.settle(p1);
    expect(t.service.to(t.dev.endpoint)).toEqual([expect.objectContaining({ body: "into the silence", count: 1 })]);
    expect(p1.log.count("warn", FELL_BACK)).toBe(1);

    await t.send(single, "one process");
    await t.settle(single);
    expect(t.service.to(t.dev.endpoint).at(-1)).toMatchObject({ body: "one process" });
    expect(single.log.lines).toEqual([]);
  });
});

describe("shared collapse windows, two processes asking at the same moment", () => {
  it("open ONE window between them: both JOINs are sent before either is answered, one opens, the other adds to it", async () => {
    const key = { userId: `u-${randomUUID()}`, deviceId: "d1", collapseKey: "c:conv" };
    const sent: Batch<number>[] = [];
    const windows = async () => {
      const inFlight: Promise<unknown>[] = [];
      const w = new SharedWindows<number>({
        windowMs: 1000,
        graceMs: HOUR,
        timers: manual,
        guard: new RedisGuard(await openLink(), new MemoryLog()),
        share: (seq) => ({ rank: seq, json: JSON.stringify(seq), forced: false, mark: { seq, at: seq } }),
        send: async (batch) => void sent.push(batch),
        track: (p) => void inFlight.push(p),
      });
      return { w, settled: () => Promise.all(inFlight) };
    };
    const [p1, p2] = [await windows(), await windows()];

    // Neither awaits: both scripts are on their way to Redis before either answer is read.
    const outcomes = await Promise.all([p1.w.add(key, 1), p2.w.add(key, 2)]);
    expect([...outcomes].sort()).toEqual(["joined", "opened"]);
    const [owner, other] = outcomes[0] === "opened" ? [p1, p2] : [p2, p1];
    expect([owner.w.ownedSize, other.w.ownedSize]).toEqual([1, 0]);

    // The owner's window closes first (as time would), then the other's watch finds it sent.
    owner.w.flushAll();
    await owner.settled();
    other.w.flushAll();
    await other.settled();
    expect(sent).toHaveLength(1);
    const batch = sent[0]!;
    expect([...batch.items, ...(batch.joined?.newest ? [JSON.parse(batch.joined.newest) as number] : [])].sort()).toEqual([1, 2]);
    expect(batch.joined?.count).toBe(1);
  });
});
