import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AppendBatch } from "../append-batch.js";
import { GroupCommit } from "./group-commit.js";

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
    expect(commits.stats).toEqual({ commits: 1, writes: 3, largest: 3 });

    // Turn by turn: a write asked for after the flush waits for the next one.
    const d = commits.write(async (st) => st.add("d"));
    endTurn();
    const e = commits.write(async (st) => st.add("e"));
    endTurn();
    await Promise.all([d, e]);
    expect(commits.stats).toEqual({ commits: 3, writes: 5, largest: 3 });
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
