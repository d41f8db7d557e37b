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
  const db = new Database(file);
  if (file !== ":memory:") ownerOnly(file);
  // Several server processes may share the file; wait for the lock instead of
  // failing. First, so that switching a fresh file to WAL waits too.
  db.pragma("busy_timeout = 5000");
  // WAL lets readers (other processes, backups) run beside the single writer.
  db.pragma("journal_mode = WAL");
  // FULL: an acked message must survive a power cut, not just a crash. The
  // engine then takes the WAL's sync off the event loop (wal-sync.ts), which
  // keeps that promise with NORMAL.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  // A group commit runs each write in a savepoint; the pages a savepoint
  // changes are copied to a statement journal, which with the default
  // temp_store spills to a temporary file past 64 KiB: a pwrite per page,
  // in the middle of the write. In memory it costs a page copy; its size is
  // bounded by what one group changes (Courier runs no VACUUM, the other
  // user of temp storage that grows with the database).
  db.pragma("temp_store = MEMORY");
  migrate(db);
  if (file !== ":memory:") for (const extra of [`${file}-wal`, `${file}-shm`]) ownerOnly(extra);
  return db;
}

/**
 * Makes a file readable by its owner only, also one an older Courier created
 * with the default mode (the WAL and shared-memory files SQLite creates later
 * take the database file's mode). A file owned by someone else is left alone.
 */
function ownerOnly(file: string): void {
  try {
    if (existsSync(file)) chmodSync(file, 0o600);
  } catch {
    // Not ours to change (EPERM): the operator chose its permissions.
  }
}
