import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { Procedure, Repos } from "../tx.js";
import { WRITER_CHECKPOINT_PAGES } from "./checkpointer.js";
import { commitGroup, groupStatements, type RemoteOp } from "./group-commit.js";
import { createStores } from "./stores.js";
import { toWire, type WireOutcome, type WorkerAnswer, type WorkerRequest } from "./writer-thread.js";

/**
 * The writer thread itself (writer-thread.ts): a connection of its own to
 * the database the event loop opened (schema migrated, WAL mode set), set up
 * as that one is, running each group it is sent with the event loop's
 * `commitGroup` and answering with the outcomes and the entries appended.
 * Durability stays with the event loop: it syncs the WAL (one file, whoever
 * wrote it) before answering anyone.
 */
const { file, ringCapacity } = workerData as { file: string; ringCapacity: number };
const port = parentPort!;
const db = new Database(file, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
db.pragma("temp_store = MEMORY");
db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);

let searchable = false;
const stores = createStores(db, ringCapacity, () => {
  searchable = true;
});
const sql = groupStatements(db);
const procedures = new Map<string, Procedure<unknown, unknown>>();

/** The procedure `op` names, from its module (imported once). */
async function procedureOf(op: RemoteOp): Promise<Procedure<unknown, unknown>> {
  const key = `${op.module}#${op.name}`;
  let p = procedures.get(key);
  if (!p) {
    const found = ((await import(op.module)) as Record<string, unknown>)[op.name] as Procedure<unknown, unknown> | undefined;
    if (!found || typeof found.run !== "function" || found.name !== op.name) throw new Error(`${op.module} exports no procedure ${op.name}`);
    p = found;
    procedures.set(key, p);
  }
  return p;
}

/** Groups run one at a time, in the order sent (the event loop sends one at a time anyway). */
let queue = Promise.resolve();

port.on("message", (m: WorkerRequest) => {
  if ("close" in m) {
    queue = queue.then(() => {
      db.close();
      port.close();
    });
    return;
  }
  queue = queue.then(() => runGroup(m.id, m.ops));
});

async function runGroup(id: number, ops: RemoteOp[]): Promise<void> {
  let answer: WorkerAnswer;
  try {
    // Imported before BEGIN: a first import must not hold the write lock.
    const group = await Promise.all(ops.map(async (op) => ({ p: await procedureOf(op), args: op.args })));
    searchable = false;
    const outcomes = await commitGroup<Repos>(
      db,
      sql,
      stores.session,
      group.map(({ p, args }) => ({ fn: (r: Repos) => p.run(r, args) })),
    );
    answer = {
      id,
      ok: true,
      searchable,
      outcomes: outcomes.map((o): WireOutcome => (o.ok ? o : { ok: false, error: toWire(o.error) })),
    };
  } catch (error) {
    answer = { id, ok: false, error: toWire(error) };
  }
  try {
    port.postMessage(answer);
  } catch (error) {
    // A result that cannot cross the thread (a procedure answered more than plain data): the group did commit.
    port.postMessage({ id, ok: false, error: { courier: true, code: "internal", message: `The change may have been kept, but its answer could not be read (${String(error)}). Retrying is safe.` } } satisfies WorkerAnswer);
  }
}
