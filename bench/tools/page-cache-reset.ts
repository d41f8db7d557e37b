// What a second SQLite connection costs the first one's reads (issue 16, WRITER):
// `node --import tsx bench/tools/page-cache-reset.ts`, env ROUNDS (4), READS (3000).
// In WAL mode a connection keeps its page cache between transactions only while no other connection has written: a read
// transaction that finds the WAL changed by someone else starts with an empty cache (SQLite's pager resets it) and reads
// every page it needs again. A 200,000-row table with an index; before each read transaction (6 indexed lookups) one row is
// inserted, alternately by the reading connection itself and by a second connection. Prints the mean read transaction of
// each, per round. This is what a writer thread with a connection of its own would cost every read on the event loop.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const READS = Number(process.env.READS ?? 3000);

const dir = mkdtempSync(path.join(tmpdir(), "courier-page-cache-"));
try {
  const file = path.join(dir, "t.db");
  const reader = new Database(file);
  reader.pragma("journal_mode = WAL");
  reader.pragma("synchronous = NORMAL");
  reader.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL); CREATE INDEX t_k ON t (k)");
  const fill = reader.prepare("INSERT INTO t (k, v) VALUES (?, ?)");
  reader.transaction(() => {
    for (let i = 0; i < 200_000; i++) fill.run(`k${i}`, "x".repeat(200));
  })();
  reader.pragma("wal_checkpoint(TRUNCATE)");
  const other = new Database(file);
  other.pragma("synchronous = NORMAL");

  const lookup = reader.prepare("SELECT * FROM t WHERE k = ?");
  const begin = reader.prepare("BEGIN");
  const commit = reader.prepare("COMMIT");
  const writes = { same: reader.prepare("INSERT INTO t (k, v) VALUES (?, 'y')"), other: other.prepare("INSERT INTO t (k, v) VALUES (?, 'y')") };

  /** Mean µs of a 6-lookup read transaction, each after one insert by `by`. */
  const round = (by: keyof typeof writes): number => {
    let ns = 0n;
    for (let i = 0; i < READS; i++) {
      writes[by].run(`w${i}`);
      const t = process.hrtime.bigint();
      begin.run();
      for (let j = 0; j < 6; j++) lookup.get(`k${(i * 7919 + j * 104_729) % 200_000}`);
      commit.run();
      ns += process.hrtime.bigint() - t;
    }
    return Number(ns / BigInt(READS)) / 1000;
  };
  for (let r = 1; r <= ROUNDS; r++) {
    const same = round("same");
    const byOther = round("other");
    console.info(`round ${r}: a read transaction (6 lookups) after a write by the same connection ${same.toFixed(1)} µs, by another connection ${byOther.toFixed(1)} µs`);
  }
  other.close();
  reader.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
