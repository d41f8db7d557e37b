// The WAL checkpointer's thread (checkpointer.ts). Plain JavaScript so that it
// starts the same under tsx, vitest and plain node. Its own connection runs
// PASSIVE checkpoints: they copy committed pages from the WAL into the
// database file and sync both, beside the writer, never holding its lock.
import { closeSync, fdatasyncSync, openSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
// FULL: the checkpoint syncs the WAL before copying from it and the database after.
db.pragma("synchronous = FULL");
// For the held checkpoint: the files synced by hand (the WAL exists while the writer's connection is open).
const wal = openSync(`${workerData.file}-wal`, "r");
const database = openSync(workerData.file, "r");

/**
 * "checkpoint": SQLite syncs the WAL and the database itself, with fsync
 * (better-sqlite3 builds SQLite without HAVE_FDATASYNC): ~10 ms each here,
 * metadata journal and all. It must, since the writer may begin — and start
 * the WAL over — the moment this checkpoint has copied everything.
 *
 * "held": the writer commits nothing until this answers (holdWrites), so
 * nothing can start the WAL over before the database is synced, and the same
 * two syncs are done here with fdatasync, which skips the journal commit of
 * the files' times: the WAL before anything is copied out of it, the database
 * before answering. The writer's commits wait for this one.
 */
function checkpoint(held) {
  if (!held) return db.pragma("wal_checkpoint(PASSIVE)")[0];
  fdatasyncSync(wal);
  db.pragma("synchronous = OFF");
  try {
    return db.pragma("wal_checkpoint(PASSIVE)")[0];
  } finally {
    db.pragma("synchronous = FULL");
    fdatasyncSync(database);
  }
}

parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    closeSync(wal);
    closeSync(database);
    parentPort.close();
    return;
  }
  try {
    const result = checkpoint(message === "held");
    parentPort.postMessage({ ok: true, log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
