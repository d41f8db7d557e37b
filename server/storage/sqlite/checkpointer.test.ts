import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Checkpointer } from "./checkpointer.js";
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
    const deadline = Date.now() + 8_000;
    let rows = 0;
    while ((cp.stats.restarts < 3 || rows < 3000) && Date.now() < deadline) {
      await commits.write(async () => insert.run(body));
      cp.committed();
      rows++;
      if (logs.at(-1) !== cp.stats.walPages) logs.push(cp.stats.walPages);
    }
    expect(cp.stats.restarts).toBeGreaterThanOrEqual(3);
    expect(cp.stats.failures).toBe(0);
    // Every row was kept, in order.
    expect(db.prepare("SELECT count(*) AS n, max(id) AS last FROM notes").get()).toEqual({ n: rows, last: rows });
    // The WAL started over each time: a checkpoint found it shorter than the one before.
    const startedOver = logs.filter((log, i) => i > 0 && log < logs[i - 1]!).length;
    expect(startedOver).toBeGreaterThanOrEqual(3);
  });
});
