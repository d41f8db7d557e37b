import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { migrate } from "./migrations.js";

export const DB_FILE = "courier.db";

/**
 * Opens (creating if needed) the embedded database in `dataDir`, or an
 * in-memory one for `:memory:`, and brings its schema up to date.
 */
export function openDatabase(dataDir: string): Database.Database {
  let file = ":memory:";
  if (dataDir !== ":memory:") {
    mkdirSync(dataDir, { recursive: true });
    file = path.join(dataDir, DB_FILE);
  }
  const db = new Database(file);
  // Several server processes may share the file; wait for the lock instead of
  // failing. First, so that switching a fresh file to WAL waits too.
  db.pragma("busy_timeout = 5000");
  // WAL lets readers (other processes, backups) run beside the single writer.
  db.pragma("journal_mode = WAL");
  // FULL: an acked message must survive a power cut, not just a crash.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  migrate(db);
  return db;
}
