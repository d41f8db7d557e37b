import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CATCH_UP_RUNS, Checkpointer, type CheckpointResult, HELD_COPY_FRAMES, startOver } from "./checkpointer.js";
import { GroupCommit } from "./group-commit.js";

let dir: string;
let db: Database.Database;
let checkpointer: Checkpointer | null;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "courier-checkpointer-"));
  db = new Database(path.join(dir, "t.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 0");
  db.pragma("synchronous = NORMAL");
  // No valve: only the checkpoint thread ever copies the WAL out, so what the WAL does is its doing.
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  checkpointer = null;
});
afterEach(async () => {
  await checkpointer?.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Checkpointer", () => {
  it("lets the WAL start over under a steady flow of writes: once it passes the threshold, a checkpoint with the writes held", async () => {
    const commits = new GroupCommit(db, () => db);
    const cp = new Checkpointer(db.name, {
      onGone: () => {},
      holdWrites: (task) => commits.holdWrites(task),
      everyMs: 20,
      restartAfterPages: 200,
    });
    checkpointer = cp;
    const logs: number[] = [];
    const insert = db.prepare("INSERT INTO notes (body) VALUES (?)");
    const body = Buffer.alloc(3000, 7); // most of a page a row
    // The WAL started over: a checkpoint found it shorter than the one before (seen only at the checkpoint after).
    const startedOver = () => logs.filter((log, i) => i > 0 && log < logs[i - 1]!).length;
    const deadline = Date.now() + 15_000;
    let rows = 0;
    while ((startedOver() < 3 || rows < 3000) && Date.now() < deadline) {
      await commits.write(async () => insert.run(body));
      cp.committed();
      rows++;
      if (logs.at(-1) !== cp.stats.walPages) logs.push(cp.stats.walPages);
    }
    expect(startedOver()).toBeGreaterThanOrEqual(3);
    expect(cp.stats.restarts).toBeGreaterThanOrEqual(3);
    expect(cp.stats.failures).toBe(0);
    // Every row was kept, in order.
    expect(db.prepare("SELECT count(*) AS n, max(id) AS last FROM notes").get()).toEqual({ n: rows, last: rows });
  });
});

/**
 * How the WAL is made to start over, with scripted checkpoints: what runs
 * while writes flow and what runs while they are held (the held one must copy
 * little, since every write waits for it).
 */
describe("startOver", () => {
  const THRESHOLD = 32_000;

  /** Checkpoints answering `results` in turn; `events` records each one and whether writes were held. */
  function script(results: CheckpointResult[], opts: { closeAfter?: number } = {}) {
    const events: string[] = [];
    let held = false;
    let runs = 0;
    const deps = {
      checkpoint: async () => {
        events.push(held ? "held checkpoint" : "checkpoint");
        runs++;
        const next = results.shift();
        if (!next) throw new Error("more checkpoints than scripted");
        return next;
      },
      holdWrites: async <T>(task: () => Promise<T>) => {
        held = true;
        try {
          return await task();
        } finally {
          held = false;
        }
      },
      restartAfterPages: THRESHOLD,
      closed: () => opts.closeAfter !== undefined && runs >= opts.closeAfter,
    };
    return { deps, events };
  }

  it("copies with writes flowing until a checkpoint copied few frames, then holds writes for one that copies about as few", async () => {
    const { deps, events } = script([
      { log: 40_000, checkpointed: 40_000 }, // copied the 6,000 that came during the first
      { log: 41_000, checkpointed: 41_000 }, // 1,000
      { log: 41_000 + HELD_COPY_FRAMES - 56, checkpointed: 41_000 + HELD_COPY_FRAMES - 56 }, // at most HELD_COPY_FRAMES: enough
      { log: 41_400, checkpointed: 41_400 }, // the held one: everything
    ]);
    const held = await startOver({ log: 34_000, checkpointed: 34_000 }, deps);
    expect(events).toEqual(["checkpoint", "checkpoint", "checkpoint", "held checkpoint"]);
    expect(held).toEqual({ log: 41_400, checkpointed: 41_400 });
  });

  it("holds writes once the gap stops closing (a run copied no less than ¾ of the one before)", async () => {
    const { deps, events } = script([
      { log: 36_000, checkpointed: 36_000 }, // 2,000
      { log: 37_000, checkpointed: 37_000 }, // 1,000
      { log: 37_800, checkpointed: 37_800 }, // 800: no longer closing
      { log: 38_600, checkpointed: 38_600 }, // the held one
    ]);
    expect(await startOver({ log: 34_000, checkpointed: 34_000 }, deps)).toEqual({ log: 38_600, checkpointed: 38_600 });
    expect(events).toEqual(["checkpoint", "checkpoint", "checkpoint", "held checkpoint"]);
  });

  it("holds writes after CATCH_UP_RUNS checkpoints when the gap keeps closing, slowly", async () => {
    const results: CheckpointResult[] = [];
    let at = 40_000;
    let step = 8_000;
    for (let i = 1; i <= CATCH_UP_RUNS; i++) {
      step = Math.floor(step * 0.7);
      at += step;
      results.push({ log: at, checkpointed: at });
    }
    results.push({ log: at + 300, checkpointed: at + 300 });
    const { deps, events } = script(results);
    const held = await startOver({ log: 40_000, checkpointed: 40_000 }, deps);
    expect(events).toEqual([...Array<string>(CATCH_UP_RUNS).fill("checkpoint"), "held checkpoint"]);
    expect(held).toEqual({ log: at + 300, checkpointed: at + 300 });
  });

  it("holds nothing when the WAL is short, started over by itself, is still needed by a reader, or the checkpointer closed", async () => {
    const short = script([]);
    expect(await startOver({ log: THRESHOLD - 1, checkpointed: THRESHOLD - 1 }, short.deps)).toBeNull();
    expect(short.events).toEqual([]);

    const restarted = script([
      { log: 36_000, checkpointed: 36_000 },
      { log: 120, checkpointed: 120 }, // a write found everything copied and rewound the WAL
    ]);
    expect(await startOver({ log: 33_000, checkpointed: 33_000 }, restarted.deps)).toBeNull();
    expect(restarted.events).toEqual(["checkpoint", "checkpoint"]);

    // -1: another connection (the writer's valve) was checkpointing.
    const busy = script([{ log: -1, checkpointed: -1 }]);
    expect(await startOver({ log: 33_000, checkpointed: 33_000 }, busy.deps)).toBeNull();
    expect(busy.events).toEqual(["checkpoint"]);

    // A reader of another process holds on to frames the checkpoints cannot copy: holding writes would not help.
    const pinned = script(Array.from({ length: CATCH_UP_RUNS }, () => ({ log: 36_000, checkpointed: 30_000 })));
    expect(await startOver({ log: 33_000, checkpointed: 30_000 }, pinned.deps)).toBeNull();
    expect(pinned.events).toEqual(Array<string>(CATCH_UP_RUNS).fill("checkpoint"));

    const closing = script([{ log: 36_000, checkpointed: 36_000 }], { closeAfter: 1 });
    expect(await startOver({ log: 33_000, checkpointed: 33_000 }, closing.deps)).toBeNull();
    expect(closing.events).toEqual(["checkpoint"]);
  });
});
