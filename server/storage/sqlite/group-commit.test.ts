import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AppendBatch } from "../append-batch.js";
import { BACKGROUND_AFTER_GROUPS, GroupCommit, STALL_LIMIT_MS } from "./group-commit.js";

/** A real SQLite file with one table; the "stores" are the table's statements. */
function open(file: string) {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 0");
  db.exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)");
  const insert = db.prepare<[string], { id: number }>("INSERT INTO notes (body) VALUES (?) RETURNING id");
  // What a write appends goes to the batch of the task running it.
  const session = (batch: AppendBatch | null) => ({
    add(body: string): number {
      const id = insert.get(body)!.id;
      batch?.add("u1", { d: "chat", v: id, k: "notice", at: 0, data: { body } });
      return id;
    },
  });
  return { db, session };
}

let dir: string;
let file: string;
let db: Database.Database;
let session: ReturnType<typeof open>["session"];
let turns: Array<() => void>;
let commits: GroupCommit<ReturnType<typeof session>>;

/** Ends "this turn of the event loop": runs the scheduled flush. */
const endTurn = () => turns.splice(0).forEach((run) => run());
const bodies = () => db.prepare<[], { body: string }>("SELECT body FROM notes ORDER BY id").all().map((r) => r.body);
/** A promise's outcome as it stands, to look at without waiting for it. */
const outcome = <T>(p: Promise<T>) => {
  const state = { done: false, value: undefined as T | undefined, error: undefined as unknown };
  p.then(
    (v) => Object.assign(state, { done: true, value: v }),
    (e: unknown) => Object.assign(state, { done: true, error: e }),
  );
  return state;
};

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "courier-group-commit-"));
  file = path.join(dir, "t.db");
  ({ db, session } = open(file));
  turns = [];
  commits = new GroupCommit(db, session, (run) => turns.push(run));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("GroupCommit", () => {
  it("commits every write of one turn in one transaction, each answered with its own result and entries", async () => {
    const writes = ["a", "b", "c"].map((body) =>
      commits.write(async (st) => {
        st.add(body);
        return body.toUpperCase();
      }),
    );
    expect(bodies()).toEqual([]); // nothing before the turn ends
    endTurn();
    const done = await Promise.all(writes);
    expect(done.map((w) => w.result)).toEqual(["A", "B", "C"]);
    expect(done.map((w) => w.appended[0]!.entries.map((e) => e.v))).toEqual([[1], [2], [3]]);
    expect(bodies()).toEqual(["a", "b", "c"]);
    expect(commits.stats).toEqual({ commits: 1, writes: 3, largest: 3, holds: 0, heldMs: 0 });

    // Turn by turn: a write asked for after the flush waits for the next one.
    const d = commits.write(async (st) => st.add("d"));
    endTurn();
    const e = commits.write(async (st) => st.add("e"));
    endTurn();
    await Promise.all([d, e]);
    expect(commits.stats).toEqual({ commits: 3, writes: 5, largest: 3, holds: 0, heldMs: 0 });
  });

  it("rolls back and rejects only the write that threw; the rest of its group is kept", async () => {
    const first = commits.write(async (st) => st.add("kept"));
    const failing = commits.write(async (st) => {
      st.add("half-done"); // written, then undone with its savepoint
      await Promise.resolve(); // a rule awaits its repositories: the transaction spans microtasks
      st.add("kept"); // UNIQUE: throws
    });
    const last = commits.write(async (st) => st.add("also kept"));
    endTurn();
    await expect(failing).rejects.toThrow(/UNIQUE/);
    await expect(first).resolves.toMatchObject({ result: 1 });
    await expect(last).resolves.toBeDefined();
    expect(bodies()).toEqual(["kept", "also kept"]);
  });

  it("rejects the whole group and keeps none of it when the transaction cannot begin", async () => {
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE"); // another process holds the write lock (and busy_timeout is 0 here)
    const writes = [commits.write(async (st) => st.add("x")), commits.write(async (st) => st.add("y"))];
    endTurn();
    for (const w of writes) await expect(w).rejects.toThrow(/locked|busy/i);
    other.exec("ROLLBACK");
    other.close();

    // The next group goes through: the failure left no transaction open.
    const next = commits.write(async (st) => st.add("z"));
    endTurn();
    await next;
    expect(bodies()).toEqual(["z"]);
  });

  it("a group of one that throws is rejected and leaves nothing", async () => {
    const failing = commits.write(async (st) => {
      st.add("gone");
      throw new Error("refused");
    });
    endTurn();
    await expect(failing).rejects.toThrow("refused");
    expect(bodies()).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it("flush() commits what is queued at once (before the database closes)", async () => {
    const write = commits.write(async (st) => st.add("late"));
    await commits.flush();
    await write;
    expect(bodies()).toEqual(["late"]);
  });

  it("a read waits for the write group on the connection: it never sees what is not committed", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const failing = commits.write(async (st) => {
      st.add("never committed");
      await gate;
      throw new Error("refused");
    });
    endTurn();
    await Promise.resolve();
    const seen = commits.read(async () => bodies());
    release();
    await expect(failing).rejects.toThrow("refused");
    expect(await seen).toEqual([]);
  });
});

describe("GroupCommit with the WAL synced off the event loop", () => {
  /** A sync the test finishes by hand: `syncs[i].done()` is the disk answering the i-th fdatasync. */
  let syncs: { done: () => void; fail: (error: Error) => void }[];
  let durable: GroupCommit<ReturnType<typeof session>>;
  const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
  const answered = outcome;

  beforeEach(() => {
    syncs = [];
    const sync = () => new Promise<void>((resolve, reject) => syncs.push({ done: resolve, fail: reject }));
    durable = new GroupCommit(db, session, (run) => turns.push(run), sync);
  });

  it("answers a write only after the sync that follows its commit, and gathers the writes asked for meanwhile into one group", async () => {
    const first = answered(durable.write(async (st) => st.add("a")));
    endTurn();
    await settled();
    expect(bodies()).toEqual(["a"]); // committed…
    expect(syncs).toHaveLength(1);
    expect(first.done).toBe(false); // …but not answered while the disk syncs

    // While that sync runs, writes gather: nothing is committed or scheduled for them yet.
    const later = ["b", "c"].map((body) => answered(durable.write(async (st) => st.add(body))));
    expect(turns).toHaveLength(0);
    await settled();
    expect(bodies()).toEqual(["a"]);

    syncs[0]!.done();
    await settled();
    expect(first.done && first.error === undefined).toBe(true);
    expect(later.every((w) => !w.done)).toBe(true);
    endTurn(); // the sync's end scheduled the gathered group
    await settled();
    expect(bodies()).toEqual(["a", "b", "c"]);
    expect(durable.stats).toEqual({ commits: 2, writes: 3, largest: 2, holds: 0, heldMs: 0 });
    expect(later.every((w) => !w.done)).toBe(true);
    syncs[1]!.done();
    await settled();
    expect(later.map((w) => w.done && w.error === undefined)).toEqual([true, true]);
    expect(syncs).toHaveLength(2); // one sync per group, not per write
  });

  it("a read that saw a commit not yet on disk is answered after its sync; one that saw only synced data at once", async () => {
    const write = answered(durable.write(async (st) => st.add("pending")));
    endTurn();
    await settled();
    const read = answered(durable.read(async () => bodies()));
    await settled();
    expect(read.done).toBe(false); // it saw "pending", which could still vanish in a power cut
    syncs[0]!.done();
    await settled();
    expect(write.done && read.done).toBe(true);
    expect(read.value).toEqual(["pending"]);

    const quiet = answered(durable.read(async () => bodies()));
    await settled();
    expect(quiet.value).toEqual(["pending"]);
    expect(syncs).toHaveLength(1);
  });

  it("a failed sync: the writes it covered are in doubt (internal), and everything after answers unavailable", async () => {
    const write = durable.write(async (st) => st.add("doubtful"));
    endTurn();
    await settled();
    const read = durable.read(async () => bodies());
    syncs[0]!.fail(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
    await expect(write).rejects.toMatchObject({ code: "internal", message: expect.stringMatching(/may have been kept/) });
    await expect(read).rejects.toMatchObject({ code: "unavailable" });
    await expect(durable.write(async (st) => st.add("next"))).rejects.toMatchObject({ code: "unavailable" });
    await expect(durable.read(async () => bodies())).rejects.toMatchObject({ code: "unavailable" });
    expect(bodies()).toEqual(["doubtful"]); // nothing was written after the failure
    expect(turns).toHaveLength(0);
  });

  it("a read that fails on what it saw (a commit still syncing) is answered only after that sync too", async () => {
    const write = durable.write(async (st) => st.add("pending"));
    endTurn();
    await settled();
    const read = answered(
      durable.read(async () => {
        if (bodies().includes("pending")) throw new Error("refused because of pending");
      }),
    );
    await settled();
    expect(read.done).toBe(false);
    syncs[0]!.done();
    await write;
    await settled();
    expect(read.error).toMatchObject({ message: "refused because of pending" });
  });

  it("writes that gathered while a sync failed are refused, never committed on that WAL", async () => {
    const first = durable.write(async (st) => st.add("doubtful"));
    endTurn();
    await settled();
    const gathered = durable.write(async (st) => st.add("gathered"));
    syncs[0]!.fail(new Error("EIO"));
    await expect(first).rejects.toMatchObject({ code: "internal" });
    endTurn();
    await expect(gathered).rejects.toMatchObject({ code: "unavailable" });
    expect(bodies()).toEqual(["doubtful"]);
  });

  it("drain() waits for the sync in flight and commits and syncs what gathered behind it", async () => {
    const a = durable.write(async (st) => st.add("a"));
    endTurn();
    await settled();
    const b = durable.write(async (st) => st.add("b"));
    const drained = answered(durable.drain());
    syncs[0]!.done();
    await settled();
    await settled();
    expect(bodies()).toEqual(["a", "b"]);
    expect(drained.done).toBe(false);
    syncs[1]!.done();
    await Promise.all([a, b]);
    await settled();
    expect(drained.done).toBe(true);
  });

  it("a disk that stops answering: a write still queued and a read waiting for the sync are answered unavailable after STALL_LIMIT_MS; the committed write waits for its sync however long", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const committed = answered(durable.write(async (st) => st.add("committed")));
      endTurn();
      await settled();
      expect(syncs).toHaveLength(1); // …and the disk stops answering
      let ran = false;
      const queued = answered(
        durable.write(async (st) => {
          ran = true;
          return st.add("queued");
        }),
      );
      const read = answered(durable.read(async () => bodies()));
      await settled();
      vi.advanceTimersByTime(STALL_LIMIT_MS - 1);
      await settled();
      expect([committed.done, queued.done, read.done]).toEqual([false, false, false]);
      vi.advanceTimersByTime(1);
      await settled();
      expect(queued.error).toMatchObject({ code: "unavailable" });
      expect(read.error).toMatchObject({ code: "unavailable" }); // it saw "committed", which is not on disk yet
      expect(committed.done).toBe(false); // it may be kept: no answer until the disk says so
      vi.advanceTimersByTime(5 * STALL_LIMIT_MS);
      await settled();
      expect(committed.done).toBe(false);

      syncs[0]!.done();
      await settled();
      expect(committed.done && committed.error === undefined).toBe(true);
      expect(turns).toHaveLength(0); // nothing was left queued
      expect(ran).toBe(false);
      expect(bodies()).toEqual(["committed"]);
      const next = answered(durable.write(async (st) => st.add("next")));
      endTurn();
      await settled();
      syncs[1]!.done();
      await settled();
      expect(next.done && next.error === undefined).toBe(true);
      expect(bodies()).toEqual(["committed", "next"]);
      expect(vi.getTimerCount()).toBe(0); // nothing waits, nothing watches
    } finally {
      vi.useRealTimers();
    }
  });

  it("a background write left behind a group whose sync does not return is answered unavailable after STALL_LIMIT_MS, never run", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const background = answered(durable.write(async (st) => st.add("background"), true));
      const person = answered(durable.write(async (st) => st.add("person")));
      endTurn(); // people first: "person" commits alone, its sync never returns
      await settled();
      expect(bodies()).toEqual(["person"]);
      vi.advanceTimersByTime(STALL_LIMIT_MS);
      await settled();
      expect(background.error).toMatchObject({ code: "unavailable" });
      expect(person.done).toBe(false);
      syncs[0]!.done();
      await settled();
      expect(person.done && person.error === undefined).toBe(true);
      endTurn();
      await settled();
      expect(bodies()).toEqual(["person"]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("GroupCommit background writes", () => {
  it("commits a background write in a transaction of its own, after the people's writes queued with it", async () => {
    const order: string[] = [];
    const bulk = commits.write(async (st) => {
      order.push("bulk");
      return st.add("bulk");
    }, true);
    const chat = ["a", "b"].map((body) =>
      commits.write(async (st) => {
        order.push(body);
        return st.add(body);
      }),
    );
    endTurn(); // the people's group
    await Promise.all(chat);
    expect(order).toEqual(["a", "b"]);
    expect(commits.stats).toMatchObject({ commits: 1, largest: 2 });
    endTurn(); // then the background write, alone
    await bulk;
    expect(order).toEqual(["a", "b", "bulk"]);
    expect(commits.stats).toEqual({ commits: 2, writes: 3, largest: 2, holds: 0, heldMs: 0 });
  });

  it("a background write passed over by BACKGROUND_AFTER_GROUPS busy groups goes next, so a busy server still finishes it", async () => {
    let done = false;
    const bulk = commits.write(async (st) => st.add("bulk"), true).then(() => (done = true));
    for (let i = 0; i < BACKGROUND_AFTER_GROUPS; i++) {
      const w = commits.write(async (st) => st.add(`chat ${i}`));
      // Someone always writes again before the turn ends.
      const again = commits.write(async (st) => st.add(`chat ${i} again`));
      endTurn();
      await Promise.all([w, again]);
      expect(done).toBe(false);
    }
    const late = commits.write(async (st) => st.add("late"));
    endTurn(); // the background write goes now, alone, though "late" waits
    await bulk;
    expect(bodies().slice(-2)).toEqual([`chat ${BACKGROUND_AFTER_GROUPS - 1} again`, "bulk"]);
    endTurn();
    await late;
    expect(bodies().slice(-2)).toEqual(["bulk", "late"]);
  });
});

describe("GroupCommit.holdWrites (the checkpoint that lets the WAL start over)", () => {
  it("lets a group mid-commit finish first, commits nothing while the task runs, then commits what gathered as one group; reads go on", async () => {
    let releaseFirst!: () => void;
    const first = commits.write(async (st) => {
      st.add("first");
      await new Promise<void>((resolve) => (releaseFirst = resolve));
    });
    endTurn(); // "first" is mid-commit, its transaction open
    await Promise.resolve();
    let seenByTask: string[] | null = null;
    let endTask!: () => void;
    const held = commits.holdWrites(async () => {
      seenByTask = bodies(); // what a checkpoint thread would see: "first" committed
      await new Promise<void>((resolve) => (endTask = resolve));
      return "checkpointed";
    });
    releaseFirst();
    await first;
    await vi.waitFor(() => expect(seenByTask).toEqual(["first"]));

    const gathered = ["a", "b"].map((body) => commits.write(async (st) => st.add(body)));
    endTurn(); // the end of a turn: nothing commits while writes are held
    await new Promise((resolve) => setImmediate(resolve));
    expect(bodies()).toEqual(["first"]);
    expect(await commits.read(async () => bodies())).toEqual(["first"]); // reads are not held

    endTask();
    expect(await held).toBe("checkpointed");
    endTurn();
    await Promise.all(gathered);
    expect(bodies()).toEqual(["first", "a", "b"]);
    expect(commits.stats.commits).toBe(2); // "first", then "a" and "b" together
  });

  it("a flush asked for directly (close's drain) waits for the hold too: nothing commits under the task", async () => {
    let endTask!: () => void;
    const held = commits.holdWrites(() => new Promise<void>((resolve) => (endTask = resolve)));
    const w = commits.write(async (st) => st.add("at close"));
    const flushed = commits.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(turns).toHaveLength(0); // nothing scheduled while held
    expect(bodies()).toEqual([]);
    endTask();
    await held;
    await flushed;
    await w;
    expect(bodies()).toEqual(["at close"]);
  });

  it("a task that fails (the checkpoint thread stopped) ends the hold: it rejects, and what gathered commits", async () => {
    let fail!: (error: Error) => void;
    const held = commits.holdWrites(() => new Promise<void>((_, reject) => (fail = reject)));
    const w = commits.write(async (st) => st.add("after the failure"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(bodies()).toEqual([]);
    fail(new Error("the checkpoint thread stopped"));
    await expect(held).rejects.toThrow("the checkpoint thread stopped");
    endTurn();
    await w;
    expect(bodies()).toEqual(["after the failure"]);
    await expect(commits.holdWrites(async () => "again")).resolves.toBe("again"); // a new hold may begin
  });

  it("counts each hold, failed ones included, and how long writes were held in all (courier_sqlite_write_holds_total, …_held_seconds_total)", async () => {
    const now = vi.spyOn(performance, "now");
    try {
      now.mockReturnValue(1_000);
      let endTask!: () => void;
      const held = commits.holdWrites(() => new Promise<void>((resolve) => (endTask = resolve)));
      await new Promise((resolve) => setImmediate(resolve));
      expect(commits.stats).toMatchObject({ holds: 0, heldMs: 0 }); // counted when it ends
      now.mockReturnValue(1_035);
      endTask();
      await held;
      expect(commits.stats).toMatchObject({ holds: 1, heldMs: 35 });

      now.mockReturnValue(2_000);
      let fail!: (error: Error) => void;
      const failing = commits.holdWrites(() => new Promise<void>((_, reject) => (fail = reject)));
      await new Promise((resolve) => setImmediate(resolve));
      now.mockReturnValue(2_010);
      fail(new Error("the checkpoint thread stopped"));
      await expect(failing).rejects.toThrow();
      expect(commits.stats).toMatchObject({ holds: 2, heldMs: 45 });
    } finally {
      now.mockRestore();
    }
  });

  it("a write queued before the hold began, with none after it, is answered unavailable too once the hold has lasted STALL_LIMIT_MS", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const queued = outcome(commits.write(async (st) => st.add("queued"))); // its flush is scheduled…
      let endTask!: () => void;
      const held = commits.holdWrites(() => new Promise<void>((resolve) => (endTask = resolve))); // …and the hold begins first
      endTurn(); // the flush now waits for the hold
      await new Promise((resolve) => setImmediate(resolve));
      vi.advanceTimersByTime(STALL_LIMIT_MS);
      await new Promise((resolve) => setImmediate(resolve));
      expect(queued.error).toMatchObject({ code: "unavailable" });
      endTask();
      await held;
      endTurn();
      await new Promise((resolve) => setImmediate(resolve));
      expect(bodies()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("writes held past STALL_LIMIT_MS (a checkpoint stuck in its disk's sync) are answered unavailable and never run; later ones wait on and commit when the hold ends", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      let endTask!: () => void;
      const held = commits.holdWrites(() => new Promise<void>((resolve) => (endTask = resolve)));
      await new Promise((resolve) => setImmediate(resolve));
      const early = outcome(commits.write(async (st) => st.add("early")));
      vi.advanceTimersByTime(STALL_LIMIT_MS / 2);
      const later = commits.write(async (st) => st.add("later"));
      vi.advanceTimersByTime(STALL_LIMIT_MS / 2);
      await new Promise((resolve) => setImmediate(resolve));
      expect(early.error).toMatchObject({ code: "unavailable" });
      expect(bodies()).toEqual([]);
      endTask();
      await held;
      endTurn();
      await later;
      expect(bodies()).toEqual(["later"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
