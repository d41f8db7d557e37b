import { chmodSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { migrate } from "./migrations.js";

export const DB_FILE = "courier.db";

/**
 * Opens (creating if needed) the embedded database in `dataDir`, or an
 * in-memory one for `:memory:`, and brings its schema up to date. A folder
 * and files Courier creates are readable by the server's user only: they
 * hold password hashes, session hashes and the VAPID private key.
 */
export function openDatabase(dataDir: string): Database.Database {
  let file = ":memory:";
  if (dataDir !== ":memory:") {
    if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    file = path.join(dataDir, DB_FILE);
  }
  const fresh = file !== ":memory:" && !existsSync(file);
  const db = new Database(file);
  // The WAL and shared-memory files SQLite creates next to it follow the database file's mode.
  if (fresh) chmodSync(file, 0o600);
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
