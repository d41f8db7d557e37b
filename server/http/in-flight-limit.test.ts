import { describe, expect, it } from "vitest";
import { PULL_LIMIT_DEFAULT, PULL_LIMIT_MAX } from "../../shared/protocol/index.js";
import { DEFAULT_CONNECTION_LIMITS } from "../config.js";
import { pullCost, ReadLimits, readRules } from "./in-flight-limit.js";

/**
 * Reads as the limiter sees them: each one started is recorded and held until
 * the test ends it, so what runs at once is counted, not timed.
 */
function reads(limits: ReadLimits) {
  const running: { user: string; cost: number; end: () => void }[] = [];
  const started: string[] = [];
  let onStart: (() => void) | null = null;
  const read = (user: string, cost: number, before?: () => Promise<void>) =>
    limits.run(
      user,
      cost,
      () =>
        new Promise<string>((resolve) => {
          const r = { user, cost, end: () => (running.splice(running.indexOf(r), 1), resolve(user)) };
          running.push(r);
          started.push(user);
          onStart?.();
        }),
      before,
    );
  /** Resolves once `n` reads have started in all. */
  const startedCount = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (started.length >= n) resolve();
      };
      onStart = check;
      check();
    });
  const runningOf = (user: string) => running.filter((r) => r.user === user);
  return { read, running, started, startedCount, runningOf };
}

/** Lets every read that can start, start (each starts on a turn of the event loop of its own). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("ReadLimits: reads of many entries per user and per process", () => {
  it("holds at most perUser reads of a user, refusing more at once, before their tokens are taken", async () => {
    const { read, startedCount } = reads(new ReadLimits({ perUser: 4, slots: 10, userEntries: 500 }));
    let charged = 0;
    const before = async () => void charged++;
    const held = Array.from({ length: 4 }, () => read("alice", 100, before));
    const refused = await read("alice", 100, before).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "rate_limited", retryAfterMs: 500, message: expect.stringMatching(/Too many pulls at once/) });
    expect(charged).toBe(4);
    // Another user's reads are not Alice's.
    void read("bob", 100);
    await startedCount(5);
    expect(held).toHaveLength(4);
  });

  it("runs one user's full-size reads one at a time, and four small ones together", async () => {
    const r = reads(new ReadLimits({ perUser: 4, slots: 10, userEntries: PULL_LIMIT_MAX }));
    const big = Array.from({ length: 4 }, () => r.read("alice", PULL_LIMIT_MAX));
    await settle();
    expect(r.runningOf("alice")).toHaveLength(1);
    for (let ended = 1; ended < 4; ended++) {
      r.runningOf("alice")[0]!.end();
      await r.startedCount(ended + 1);
      await settle();
      expect(r.runningOf("alice")).toHaveLength(1);
    }
    r.runningOf("alice")[0]!.end();
    expect(await Promise.all(big)).toEqual(["alice", "alice", "alice", "alice"]);

    for (let i = 0; i < 4; i++) void r.read("bob", PULL_LIMIT_DEFAULT);
    await r.startedCount(8);
    expect(r.runningOf("bob")).toHaveLength(4);
  });

  it("runs at most `slots` reads on the process; the next starts when one ends", async () => {
    const r = reads(new ReadLimits({ perUser: 4, slots: 2, userEntries: PULL_LIMIT_MAX }));
    for (const user of ["ann", "ben", "cat"]) void r.read(user, PULL_LIMIT_MAX);
    await settle();
    expect(r.running.map((x) => x.user)).toEqual(["ann", "ben"]);
    r.running[0]!.end();
    await r.startedCount(3);
    expect(r.running.map((x) => x.user)).toEqual(["ben", "cat"]);
  });

  it("users take turns: one user's queue never goes ahead of another's next read", async () => {
    const r = reads(new ReadLimits({ perUser: 4, slots: 1, userEntries: PULL_LIMIT_MAX }));
    for (let i = 0; i < 4; i++) void r.read("flood", PULL_LIMIT_MAX);
    await r.startedCount(1);
    void r.read("bob", PULL_LIMIT_DEFAULT);
    void r.read("cat", PULL_LIMIT_DEFAULT);
    for (let n = 2; n <= 6; n++) {
      r.running[0]!.end();
      await r.startedCount(n);
    }
    // A round: each waiting user's next read, the flooder's included; Bob and Cat did not wait for all four.
    expect(r.started).toEqual(["flood", "flood", "bob", "cat", "flood", "flood"]);
  });

  it("starts each read on a turn of the event loop of its own (SQLite answers synchronously: a chain would hold the loop)", async () => {
    const limits = new ReadLimits({ perUser: 4, slots: 1, userEntries: PULL_LIMIT_MAX });
    const turns: string[] = [];
    // Other work that comes up meanwhile (I/O, timers, this) runs between the two reads, however quick the first one is.
    await Promise.all([
      limits.run("alice", PULL_LIMIT_MAX, async () => {
        turns.push("read 1");
        setImmediate(() => turns.push("other work"));
      }),
      limits.run("alice", PULL_LIMIT_MAX, async () => void turns.push("read 2")),
    ]);
    expect(turns).toEqual(["read 1", "other work", "read 2"]);
  });
});

describe("read rules", () => {
  it("the user's cap is MAX_PULLS_IN_FLIGHT; half the PostgreSQL pool runs reads (at least one); two on SQLite", () => {
    const connectionLimits = DEFAULT_CONNECTION_LIMITS;
    expect(readRules({ connectionLimits, databaseUrl: null, databasePoolMax: 10 })).toEqual({ perUser: 4, slots: 2, userEntries: 500 });
    expect(readRules({ connectionLimits, databaseUrl: "postgres://x", databasePoolMax: 10 }).slots).toBe(5);
    expect(readRules({ connectionLimits, databaseUrl: "postgres://x", databasePoolMax: 1 }).slots).toBe(1);
  });

  it("a pull costs its limit; one that is not a valid limit counts as the default", () => {
    expect(pullCost(500)).toBe(500);
    expect(pullCost(7)).toBe(7);
    for (const bad of [undefined, 0, 501, 2.5, "500", null]) expect(pullCost(bad)).toBe(PULL_LIMIT_DEFAULT);
  });
});
