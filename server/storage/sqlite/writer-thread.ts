import { Worker } from "node:worker_threads";
import { CourierError, type ErrorCode, type ErrorReason } from "../../../shared/protocol/index.js";
import type { Outcome, RemoteOp, RemoteWriter } from "./group-commit.js";

/**
 * The writer thread (issue 16; docs/architecture.md, "The writer thread").
 *
 * better-sqlite3 answers on the thread that calls it, so every statement of
 * a write — and the COMMIT writing its frames to the WAL — ran on the event
 * loop, where sockets wait for it: at 1,000 msg/s a third of the main
 * thread. The hot paths' rules (a send, an ack) are procedures (tx.ts,
 * `Procedure`): this thread opens a connection of its own to the same file
 * and runs groups of them there, in the same `commitGroup` as the event
 * loop's groups, while the event loop goes on with sockets. The group commit
 * still decides what runs when (one group at a time, holds, the WAL's sync
 * on the thread pool before anyone is answered), so nothing about
 * durability or order changes; it only moves where the statements run.
 *
 * Started on the first procedure (a process that only reads never pays for
 * it). If it cannot start or stops, groups run on the event loop again; a
 * group it was running when it stopped is answered "in doubt" (it may have
 * committed), as after a failed sync.
 */
export class WriterThread implements RemoteWriter {
  private worker: Worker | null = null;
  private stopped = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (answer: WorkerAnswer) => void; reject: (error: unknown) => void }>();

  constructor(
    private readonly file: string,
    private readonly ringCapacity: number,
    /** A group stored a message with search text (the search indexer's cue). */
    private readonly onSearchable: () => void,
    private readonly onGone: (error: unknown) => void = (error) => console.error("The writer thread stopped; writes run on the event loop.", error),
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  async run(ops: RemoteOp[]): Promise<Outcome[]> {
    const worker = this.start();
    const id = this.nextId++;
    const answer = await new Promise<WorkerAnswer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, ops } satisfies WorkerRequest);
    });
    if (!answer.ok) throw fromWire(answer.error);
    if (answer.searchable) this.onSearchable();
    return answer.outcomes.map((o): Outcome => (o.ok ? { ok: true, committed: o.committed } : { ok: false, error: fromWire(o.error) }));
  }

  /** Ends the thread once its group (if any) is answered; its connection closes with it. */
  async close(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once("exit", () => resolve());
      worker.postMessage({ close: true } satisfies WorkerRequest);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL("./writer-worker.mjs", import.meta.url), {
      workerData: { file: this.file, ringCapacity: this.ringCapacity },
      // Its own loader (tsx, registered by the bootstrap), not the parent's flags (Vitest's, say).
      execArgv: [],
    });
    worker.unref();
    worker.on("message", (m: WorkerAnswer) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.resolve(m);
    });
    const gone = (error: unknown) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.stopped = true;
      this.onGone(error);
      // A group it was running may have committed or not: in doubt, like a failed sync.
      for (const w of this.waiting.values()) w.reject(new CourierError("internal", "The database could not confirm this change was kept; it may have been. Retrying is safe."));
      this.waiting.clear();
    };
    worker.on("error", gone);
    worker.on("exit", (code) => gone(new Error(`the writer thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}

/** What the event loop sends: a group of procedures, or the end. */
export type WorkerRequest = { id: number; ops: RemoteOp[] } | { close: true };

/** What the thread answers for a group. */
export type WorkerAnswer =
  | { id: number; ok: true; outcomes: WireOutcome[]; searchable: boolean }
  /** BEGIN or COMMIT failed (or SQLite rolled it all back): nothing of the group was kept. */
  | { id: number; ok: false; error: WireError };

export type WireOutcome = { ok: true; committed: Extract<Outcome, { ok: true }>["committed"] } | { ok: false; error: WireError };

/** An error across the thread boundary: a CourierError stays one (its code, status and reason), anything else keeps its name, message and code. */
export type WireError =
  | { courier: true; code: ErrorCode; message: string; retryAfterMs?: number; reason?: ErrorReason }
  | { courier: false; name: string; message: string; code?: string };

export function toWire(error: unknown): WireError {
  if (error instanceof CourierError) {
    return { courier: true, code: error.code, message: error.message, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}), ...(error.reason !== undefined ? { reason: error.reason } : {}) };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return { courier: false, name: e.name, message: e.message, ...(typeof code === "string" ? { code } : {}) };
}

export function fromWire(w: WireError): Error {
  if (w.courier) return new CourierError(w.code, w.message, w.retryAfterMs, w.reason);
  const error = new Error(w.message) as Error & { code?: string };
  error.name = w.name;
  if (w.code !== undefined) error.code = w.code;
  return error;
}
