// The WAL checkpointer's thread (checkpointer.ts). Plain JavaScript so that it
// starts the same under tsx, vitest and plain node. Its own connection runs
// PASSIVE checkpoints: they copy committed pages from the WAL into the
// database file and fsync both, beside the writer, never holding its lock.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
// FULL: the checkpoint syncs the WAL before copying from it and the database after.
db.pragma("synchronous = FULL");

parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [result] = db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ ok: true, log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
