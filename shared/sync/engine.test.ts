import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Entry } from "../protocol/entries.js";
import { CourierError } from "../protocol/errors.js";
import { ConsumerRegistry } from "./consumers.js";
import { SyncEngine, type SyncEngineOptions } from "./engine.js";
import { makeEntry, MemoryLog, MemoryStore, shuffle } from "./testing.js";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function setup(opts: Partial<SyncEngineOptions> = {}) {
  const server = new MemoryLog();
  const store = new MemoryStore();
  const engine = new SyncEngine({ source: server, store, settleMs: 100, maxSettleMs: 1000, ackDelayMs: 50, ...opts });
  return { server, store, engine };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("SyncEngine ordering", () => {
  it("applies 100 entries pushed fully shuffled within 500 ms exactly once, in order, with at most one pull", async () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const { server, store, engine } = setup();
      await engine.start();
      const entries = server.append("chat", 100);
      const order = shuffle(entries, seed);
      // 100 pushes spread over 500 ms: one every 5 ms.
      for (const entry of order) {
        engine.receive([entry]);
        await vi.advanceTimersByTimeAsync(5);
      }
      await vi.advanceTimersByTimeAsync(2000);
      await engine.idle();

      expect(store.appliedVersions("chat")).toEqual(range(1, 100));
      expect(server.pulls.length).toBeLessThanOrEqual(1);
      expect(engine.versions.chat).toBe(100);
      engine.stop();
    }
  });

  it("two pushes really lost are fetched by exactly one pull of just them", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    const entries = server.append("chat", 10);
    engine.receive(entries.filter((e) => e.v !== 4 && e.v !== 6));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.appliedVersions("chat")).toEqual([1, 2, 3]); // blocked at the hole

    await vi.advanceTimersByTimeAsync(150);
    await engine.idle();
    // 4 and 6 only: not 5, which it holds, nor the whole log.
    expect(server.pulls).toEqual([{ d: "chat", after: 3, limit: 3, only: "4,6" }]);
    expect(engine.stats.pulledEntries).toBe(2);
    expect(store.appliedVersions("chat")).toEqual(range(1, 10));
  });

  it("retries a failed sparse pull plainly (a server that does not know `only` still answers)", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    const entries = server.append("chat", 6);
    server.failNextPulls = 1;
    engine.receive(entries.filter((e) => e.v !== 2 && e.v !== 4));
    await vi.advanceTimersByTimeAsync(150);
    await vi.advanceTimersByTimeAsync(5_000);
    await engine.idle();
    expect(server.pulls).toEqual([
      { d: "chat", after: 1, limit: 3, only: "2,4" },
      { d: "chat", after: 1, limit: 3 },
    ]);
    expect(store.appliedVersions("chat")).toEqual(range(1, 6));
  });

  it("a catch-up while the next entries are held but not yet applied pulls plainly from after+1: no snapshot", async () => {
    const { server, store, engine } = setup();
    store.applyDelayMs = 50;
    await engine.start();
    const entries = server.append("chat", 5);
    engine.receive(entries.slice(0, 3)); // 1 applies slowly; 2 and 3 wait in the buffer
    await vi.advanceTimersByTimeAsync(10);
    engine.catchUp();
    await vi.advanceTimersByTimeAsync(500);
    await engine.idle();
    expect(server.pulls.filter((p) => p.d === "chat")[0]).not.toHaveProperty("only");
    expect(server.snapshots).toBe(0);
    expect(store.appliedVersions("chat")).toEqual(range(1, 5));
  });

  it("stops asking for `only` once a server refuses it (an older one, mid-upgrade)", async () => {
    const { server, store, engine } = setup();
    const pull = server.pull.bind(server);
    server.pull = async (request) => {
      if (request.only !== undefined) {
        server.pulls.push(request);
        throw new CourierError("bad_request", "Unrecognized key: only.");
      }
      return pull(request);
    };
    await engine.start();
    const first = server.append("chat", 6);
    engine.receive(first.filter((e) => e.v !== 2 && e.v !== 4));
    await vi.advanceTimersByTimeAsync(5_000);
    const next = server.append("chat", 6);
    engine.receive(next.filter((e) => e.v !== 8 && e.v !== 10));
    await vi.advanceTimersByTimeAsync(5_000);
    await engine.idle();
    expect(server.pulls.map((p) => p.only ?? "plain")).toEqual(["2,4", "plain", "plain"]);
    expect(store.appliedVersions("chat")).toEqual(range(1, 12));
  });

  it("pulls a run of lost pushes plainly, and too many scattered holes as one plain page", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    const entries = server.append("chat", 200);
    // 2..5 lost together, the rest held: nothing between to leave out, so no `only`.
    engine.receive(entries.filter((e) => e.v < 2 || e.v > 5));
    await vi.advanceTimersByTimeAsync(150);
    await engine.idle();
    expect(server.pulls.at(-1)).toEqual({ d: "chat", after: 1, limit: 4 });
    // Every other one of 6..200 lost: more holes than a pull may list.
    const next = server.append("chat", 200);
    engine.receive(next.filter((e) => e.v % 2 === 0));
    await vi.advanceTimersByTimeAsync(150);
    await engine.idle();
    expect(server.pulls.at(-1)).toEqual({ d: "chat", after: 200, limit: 199 });
    expect(store.appliedVersions("chat")).toEqual(range(1, 400));
  });

  it("does not pull when its own page stalled past the quiet period: the late pushes were queued behind the stall", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    const entries = server.append("chat", 10);
    engine.receive(entries.filter((e) => e.v !== 4));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.appliedVersions("chat")).toEqual([1, 2, 3]);

    // The page is blocked for 400 ms: the clock moves, no timer or socket event runs.
    vi.setSystemTime(Date.now() + 400);
    await vi.advanceTimersByTimeAsync(100); // the settle timer fires, 400 ms late
    expect(server.pulls).toHaveLength(0);
    engine.receive([entries[3]!]); // the push that waited behind the stall
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.appliedVersions("chat")).toEqual(range(1, 10));
    expect(server.pulls).toHaveLength(0);

    // Truly lost (the timer fires on time): pulled after one quiet period, as before.
    const more = server.append("chat", 3);
    engine.receive([more[1]!, more[2]!]);
    await vi.advanceTimersByTimeAsync(150);
    await engine.idle();
    expect(server.pulls).toEqual([{ d: "chat", after: 10, limit: 1 }]);
    expect(store.appliedVersions("chat")).toEqual(range(1, 13));
  });

  it("drops duplicates and replays, and never applies a version twice", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    const entries = server.append("chat", 20);
    engine.receive(entries.slice(0, 10));
    engine.receive(entries.slice(5, 15)); // overlapping retransmission
    await vi.advanceTimersByTimeAsync(0);
    engine.receive(entries); // full replay after consumption
    engine.receive(entries.slice(0, 3));
    await vi.advanceTimersByTimeAsync(500);
    await engine.idle();

    expect(store.appliedVersions("chat")).toEqual(range(1, 20));
    // 6..10 buffered twice, 1..15 replayed after consumption, 1..3 once more.
    expect(engine.stats.dropped).toBe(5 + 15 + 3);
    expect(server.pulls).toHaveLength(0);
  });

  it("a later copy of a buffered version replaces the earlier one", async () => {
    const { store, engine } = setup();
    await engine.start();
    engine.receive([{ ...makeEntry("chat", 2), data: { copy: "first" } }]);
    engine.receive([{ ...makeEntry("chat", 2), data: { copy: "second" } }]);
    engine.receive([makeEntry("chat", 1)]);
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.applied.map((e) => e.data)).toEqual([{ n: 1 }, { copy: "second" }]);
  });

  it("keeps buffering pushes while a pull is in flight and merges both without duplicates", async () => {
    const { server, store, engine } = setup();
    server.latencyMs = 300;
    await engine.start();
    server.append("chat", 5);
    engine.hello(server.heads()); // behind by 5: pulls at once
    await vi.advanceTimersByTimeAsync(10);
    expect(server.pulls).toHaveLength(1);

    // While the pull is in flight, new entries are appended and pushed, some
    // of them twice, and one that the pull will also return.
    const later = server.append("chat", 5); // 6..10
    engine.receive([later[2]!, later[0]!, later[4]!, later[1]!, later[3]!, later[0]!]);
    engine.receive([makeEntry("chat", 3)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.applied).toHaveLength(0); // blocked while pulling

    await vi.advanceTimersByTimeAsync(400);
    await engine.idle();
    expect(store.appliedVersions("chat")).toEqual(range(1, 10));
    expect(server.pulls).toHaveLength(1);
  });

  it("pages through a long catch-up without waiting between pages", async () => {
    const { server, store, engine } = setup({ pullLimit: 100 });
    await engine.start();
    server.append("chat", 250);
    engine.hello(server.heads());
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.appliedVersions("chat")).toEqual(range(1, 250));
    expect(server.pulls.map((p) => p.after)).toEqual([0, 100, 200]);
  });

  it("a long catch-up onto a slow store commits its pages whole, in order, once, and acks only committed versions", async () => {
    const { server, store, engine } = setup({ pullLimit: 100, ackDelayMs: 0 });
    server.latencyMs = 10;
    store.applyDelayMs = 100; // each page's write takes ten times its pull
    const ackedAhead: string[] = [];
    server.ack = async (acks) => {
      if ((acks.chat ?? 0) > store.versions.chat) ackedAhead.push(`acked ${acks.chat} with ${store.versions.chat} committed`);
      server.acks.push(acks);
    };
    await engine.start();
    server.append("chat", 500);
    engine.hello(server.heads());
    await vi.advanceTimersByTimeAsync(5_000);
    await engine.idle();

    // Every page committed whole, in order, once, and nothing acked before its commit.
    expect(store.transactions.map((t) => [t.from, t.to])).toEqual([
      [1, 100],
      [101, 200],
      [201, 300],
      [301, 400],
      [401, 500],
    ]);
    expect(store.appliedVersions("chat")).toEqual(range(1, 500));
    expect(ackedAhead).toEqual([]);
    expect(server.acks.at(-1)).toEqual({ chat: 500 });
  });

  it("consumes the highest-priority domain first", async () => {
    const { server, store, engine } = setup();
    const m = server.append("marketing", 3);
    const s = server.append("system", 3);
    const c = server.append("chat", 3);
    engine.receive([...m, ...s, ...c]); // before start: buffered
    await engine.start();
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.transactions.map((t) => t.d)).toEqual(["chat", "system", "marketing"]);
  });

  it("a domain blocked on a hole does not hold up the others", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    const c = server.append("chat", 3);
    const s = server.append("system", 2);
    engine.receive([c[1]!, c[2]!, ...s]); // chat 1 missing
    await vi.advanceTimersByTimeAsync(0);
    expect(store.appliedVersions("system")).toEqual([1, 2]);
    expect(store.appliedVersions("chat")).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    await engine.idle();
    expect(store.appliedVersions("chat")).toEqual([1, 2, 3]);
  });
});

describe("SyncEngine resets, failures and acks", () => {
  it("takes a snapshot when the pull answers reset, then continues from the heads", async () => {
    const { server, store, engine } = setup();
    server.ring = 10;
    await engine.start();
    server.append("chat", 50);
    engine.hello(server.heads());
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(server.snapshots).toBe(1);
    expect(store.snapshotsApplied).toHaveLength(1);
    expect(engine.versions.chat).toBe(50);
    expect(store.applied).toHaveLength(0); // nothing from before the snapshot is replayed

    const next = server.append("chat", 2);
    engine.receive(next);
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.appliedVersions("chat")).toEqual([51, 52]);
  });

  it("takes a snapshot when the server's heads are behind what was consumed", async () => {
    const { server, store, engine } = setup();
    store.versions.chat = 40; // consumed on a server that was since reset
    await engine.start();
    server.append("chat", 3);
    engine.hello(server.heads());
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.snapshotsApplied).toHaveLength(1);
    expect(engine.versions.chat).toBe(3);
  });

  it("retries a failed pull with backoff and loses nothing", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    server.append("chat", 5);
    server.failNextPulls = 2;
    engine.hello(server.heads());
    await vi.advanceTimersByTimeAsync(0);
    expect(store.applied).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(500 + 1000 + 10);
    await engine.idle();
    expect(server.pulls).toHaveLength(3);
    expect(store.appliedVersions("chat")).toEqual(range(1, 5));
  });

  it("keeps entries when the local store fails and applies them on retry", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    store.failNextApply = true;
    engine.receive(server.append("chat", 3));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.applied).toHaveLength(0);
    expect(engine.versions.chat).toBe(0);
    await vi.advanceTimersByTimeAsync(1100);
    await engine.idle();
    expect(store.appliedVersions("chat")).toEqual([1, 2, 3]);
  });

  it("batches acks after durable apply and only acks applied versions", async () => {
    const { server, engine } = setup();
    await engine.start();
    const entries = server.append("chat", 10);
    engine.receive(entries.slice(0, 4));
    await vi.advanceTimersByTimeAsync(0);
    engine.receive(entries.slice(4, 7));
    await vi.advanceTimersByTimeAsync(0);
    engine.receive(server.append("system", 2));
    engine.receive([entries[8]!]); // 8 missing: 9 must not be acked
    await vi.advanceTimersByTimeAsync(60);
    expect(server.acks).toEqual([{ chat: 7, system: 2 }]);
  });

  it("acks again when an applied version is pushed again (the first ack was lost)", async () => {
    const { server, engine } = setup();
    await engine.start();
    const entries = server.append("chat", 3);
    engine.receive(entries);
    await vi.advanceTimersByTimeAsync(60);
    expect(server.acks).toEqual([{ chat: 3 }]);
    engine.receive([entries[1]!]); // a retransmission
    await vi.advanceTimersByTimeAsync(60);
    expect(server.acks).toEqual([{ chat: 3 }, { chat: 3 }]);
  });

  it("re-acks its versions on every hello and resyncs on demand", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    engine.receive(server.append("chat", 2));
    await vi.advanceTimersByTimeAsync(60);
    engine.hello(server.heads());
    await vi.advanceTimersByTimeAsync(60);
    expect(server.acks).toEqual([{ chat: 2 }, { chat: 2 }]);

    engine.resync();
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.snapshotsApplied).toHaveLength(1);
  });

  it("resumes from stored versions after a restart and ignores what was consumed", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    engine.receive(server.append("chat", 5));
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    engine.stop();

    const again = new SyncEngine({ source: server, store, settleMs: 100 });
    await again.start();
    again.receive(server.log.chat); // the server re-pushes everything
    server.append("chat", 2);
    again.hello(server.heads());
    await vi.advanceTimersByTimeAsync(0);
    await again.idle();
    expect(store.appliedVersions("chat")).toEqual(range(1, 7));
    again.stop();
  });
});

describe("SyncEngine recovers from a server it cannot continue with", () => {
  it("retries a failed snapshot (not a pull) until it lands, then applies new entries", async () => {
    const { server, store, engine } = setup();
    store.versions.chat = 50; // consumed on a server since restored from an older backup
    await engine.start();
    server.append("chat", 10);
    server.failNextSnapshots = 2;
    engine.hello(server.heads());
    await vi.advanceTimersByTimeAsync(0);
    expect(store.snapshotsApplied).toHaveLength(0);
    engine.receive(server.append("chat", 1)); // v11: must not be dropped as "consumed"
    await vi.advanceTimersByTimeAsync(500 + 1000 + 10);
    await engine.idle();
    expect(server.snapshots).toBe(3);
    expect(server.pulls).toHaveLength(0);
    expect(engine.versions.chat).toBe(11);

    engine.receive(server.append("chat", 2));
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.appliedVersions("chat")).toEqual([12, 13]);
  });

  it("takes a snapshot when a pull's head is behind what it asked after", async () => {
    const { server, store, engine } = setup();
    store.versions.chat = 30;
    await engine.start();
    server.append("chat", 5);
    engine.catchUp(); // an HTTP-only client has no hello to compare with
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.snapshotsApplied).toHaveLength(1);
    expect(engine.versions.chat).toBe(5);
  });

  it("takes a snapshot rather than skip versions when a pull does not start right after its cursor", async () => {
    const { server, store, engine } = setup();
    await engine.start();
    server.append("chat", 30);
    // A server whose log was trimmed behind a ring it claims is larger answers from v21.
    server.pull = async (req) => {
      server.pulls.push(req);
      return { d: req.d, head: 30, reset: false, entries: server.log.chat.slice(20, 20 + (req.limit ?? 100)) };
    };
    engine.hello({ chat: 30, system: 0, marketing: 0 });
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(store.applied).toHaveLength(0);
    expect(store.snapshotsApplied).toHaveLength(1);
    expect(engine.versions.chat).toBe(30);
  });

  it("runs one snapshot when several domains answer reset at once, and acks the heads", async () => {
    const { server, store, engine } = setup();
    server.ring = 5;
    await engine.start();
    server.append("chat", 20);
    server.append("system", 20);
    engine.hello(server.heads());
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    await vi.advanceTimersByTimeAsync(60);
    expect(server.snapshots).toBe(1);
    expect(store.snapshotsApplied).toHaveLength(1);
    expect(server.acks.at(-1)).toEqual({ chat: 20, system: 20 });
  });

  it("does not pull when a late push closes the hole during a slow local apply", async () => {
    const { server, store, engine } = setup();
    store.applyDelayMs = 300; // a slow IndexedDB commit
    await engine.start();
    const entries = server.append("chat", 6);
    engine.receive([entries[0]!, entries[2]!, entries[3]!]); // 1 applies slowly; 2 is missing
    await vi.advanceTimersByTimeAsync(50);
    engine.receive([entries[1]!, entries[4]!, entries[5]!]);
    await vi.advanceTimersByTimeAsync(2000);
    await engine.idle();
    expect(store.appliedVersions("chat")).toEqual(range(1, 6));
    expect(server.pulls).toHaveLength(0);
  });
});

describe("ConsumerRegistry", () => {
  it("hands each consumer its kinds in version order and skips unknown kinds", async () => {
    const registry = new ConsumerRegistry();
    const seen: string[] = [];
    registry.register({ domain: "chat", kinds: ["msg"], apply: (es) => void seen.push(`msg:${es.map((e) => e.v)}`) });
    registry.register({ domain: "chat", kinds: ["read"], apply: (es) => void seen.push(`read:${es.map((e) => e.v)}`) });
    registry.register({ domain: "system", kinds: ["msg"], apply: () => void seen.push("wrong domain") });
    const entries: Entry[] = [
      makeEntry("chat", 1, "msg"),
      makeEntry("chat", 2, "msg"),
      makeEntry("chat", 3, "read"),
      makeEntry("chat", 4, "future_kind"),
      makeEntry("chat", 5, "msg"),
    ];
    await registry.dispatch("chat", entries);
    expect(seen).toEqual(["msg:1,2", "read:3", "msg:5"]);
  });
});
