import { Worker } from "node:worker_threads";

/** WAL pages after which the writer checkpoints by itself, on the event loop: the valve if the thread lags. */
export const WRITER_CHECKPOINT_PAGES = 64_000;
/** How often the thread checkpoints while there are commits (ms). */
export const CHECKPOINT_EVERY_MS = 200;
/**
 * WAL pages after which the WAL is made to start over (startOver): with 4 KiB
 * pages, ~130 MB of WAL (a little more by the time it starts over) under a
 * sustained flow of writes, and writes held once every ~2 s at 1,000 msg/s.
 */
export const RESTART_AFTER_PAGES = 32_000;
/** A catch-up checkpoint that copied at most this many frames is the last one before writes are held. */
export const HELD_COPY_FRAMES = 256;
/** Catch-up checkpoints at most before writes are held (writes that outrun the copy never let the gap close). */
export const CATCH_UP_RUNS = 8;
/** A catch-up checkpoint that copied at least this share of what the one before copied: the gap has stopped closing. */
const NOT_CLOSING = 0.75;

/** What a checkpoint reports: the WAL's frames, and how many of them are now in the database file. */
export interface CheckpointResult {
  log: number;
  checkpointed: number;
}

/** Runs a task while the writer commits nothing (GroupCommit.holdWrites). */
export type HoldWrites = <T>(task: () => Promise<T>) => Promise<T>;

export interface CheckpointerOptions {
  /** The thread died: the writer should checkpoint as SQLite does by default again. */
  onGone: () => void;
  onError?: (message: string) => void;
  /**
   * How to hold the writer's commits for the checkpoint that lets the WAL
   * start over; without it the WAL never starts over under steady writes,
   * and the writer's valve decides.
   */
  holdWrites?: HoldWrites;
  /** CHECKPOINT_EVERY_MS unless given (tests). */
  everyMs?: number;
  /** RESTART_AFTER_PAGES unless given (tests). */
  restartAfterPages?: number;
}

/**
 * Checkpoints off the event loop (issue 16). SQLite's automatic checkpoint
 * runs inside the COMMIT that crosses 1,000 WAL pages, with two fsyncs (the
 * WAL, then the database): 1 % of commits took 64 % of commit time, and with
 * them the event loop. Here a worker thread with its own connection runs a
 * PASSIVE checkpoint every CHECKPOINT_EVERY_MS while there are commits; the
 * writer keeps `wal_autocheckpoint` only as a valve at WRITER_CHECKPOINT_PAGES
 * (a thread that falls behind under a long burst: the writer then does the
 * rest itself, as before). A PASSIVE checkpoint takes no lock the writer
 * needs, so the writer never waits for it.
 *
 * Starting over: SQLite rewinds the WAL to its first frame only when a write
 * transaction begins with every frame already in the database file. Under a
 * steady flow of writes that never happens — each checkpoint copies up to
 * where the WAL was when it began, and commits have landed since — so the
 * WAL grew to the valve and the writer checkpointed in a COMMIT, fsyncs and
 * all, on the event loop: 30–45 ms every ~0.8 s at 1,000 msg/s
 * (docs/benchmarks.md, WALRESTART). So once a checkpoint finds the WAL past
 * RESTART_AFTER_PAGES, the WAL is made to start over (startOver): the
 * writer's commits are held (`holdWrites`) for one more checkpoint, the next
 * write transaction then rewinds the WAL, and the event loop never waits.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private dirty = false;
  private inFlight = false;
  /** The answer the thread owes (one checkpoint at a time). */
  private answer: { resolve: (r: CheckpointResult) => void; reject: (error: Error) => void } | null = null;
  private closed = false;
  /** The thread is gone (it failed to start or died): nothing to wait for. */
  private dead = false;
  private readonly timer: NodeJS.Timeout;
  /** Checkpoints run and failed, the WAL's size in pages at the last one, and the held checkpoints that copied it all out (each lets the WAL start over). */
  readonly stats = { runs: 0, failures: 0, walPages: 0, restarts: 0 };

  private readonly onGone: () => void;
  private readonly onError: (message: string) => void;
  private readonly holdWrites: HoldWrites | null;
  private readonly restartAfterPages: number;

  constructor(file: string, opts: CheckpointerOptions) {
    this.onGone = opts.onGone;
    this.onError = opts.onError ?? ((message) => console.error(`WAL checkpoint failed: ${message}`));
    this.holdWrites = opts.holdWrites ?? null;
    this.restartAfterPages = opts.restartAfterPages ?? RESTART_AFTER_PAGES;
    this.worker = new Worker(new URL("./checkpoint-worker.mjs", import.meta.url), { workerData: { file } });
    this.worker.unref();
    this.worker.on("message", (m: ({ ok: true } & CheckpointResult) | { ok: false; error: string }) => {
      const answer = this.answer;
      this.answer = null;
      if (m.ok) {
        this.stats.runs++;
        // -1: another connection was checkpointing, nothing was learnt.
        if (m.log >= 0) this.stats.walPages = m.log;
        answer?.resolve(m);
      } else {
        this.stats.failures++;
        answer?.reject(new Error(m.error));
      }
    });
    // A thread that cannot start or dies: the writer checkpoints as SQLite always did (onGone).
    this.worker.on("error", (error) => this.onError(error.message));
    this.worker.on("exit", () => {
      this.answer?.reject(new Error("the checkpoint thread stopped"));
      this.answer = null;
      if (this.dead) return;
      this.dead = true;
      clearInterval(this.timer);
      if (!this.closed) this.onGone();
    });
    this.timer = setInterval(() => this.tick(), opts.everyMs ?? CHECKPOINT_EVERY_MS);
    this.timer.unref();
  }

  /** Tells it that something was committed. */
  committed(): void {
    this.dirty = true;
  }

  private tick(): void {
    if (!this.dirty || this.inFlight || this.closed) return;
    this.dirty = false;
    this.inFlight = true;
    void this.checkpoint()
      .then(async (first) => {
        const holdWrites = this.holdWrites;
        if (!holdWrites) return;
        const held = await startOver(first, {
          checkpoint: () => this.checkpoint(),
          holdWrites,
          restartAfterPages: this.restartAfterPages,
          closed: () => this.closed,
        });
        // Everything copied out: the next write starts the WAL over.
        if (held && held.log > 0 && held.checkpointed === held.log) this.stats.restarts++;
      })
      .catch((error: unknown) => {
        if (!this.closed && !this.dead) this.onError(error instanceof Error ? error.message : String(error));
      })
      .finally(() => (this.inFlight = false));
  }

  /**
   * One PASSIVE checkpoint on the thread. SQLite syncs the database file
   * before it records the WAL as copied out, so a checkpoint cut short (the
   * thread stopped, a failed sync, a close) never lets a write start the WAL
   * over onto pages not yet on disk.
   */
  private checkpoint(): Promise<CheckpointResult> {
    if (this.dead) return Promise.reject(new Error("the checkpoint thread stopped"));
    return new Promise((resolve, reject) => {
      this.answer = { resolve, reject };
      this.worker.postMessage("checkpoint");
    });
  }

  /** Stops the thread (before the writer's connection closes, which checkpoints one last time). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.dead) return;
    // Held (ref) until it has closed its connection, or 2 s.
    this.worker.ref();
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.postMessage("close");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}

export interface StartOverDeps {
  /** One PASSIVE checkpoint on the thread. */
  checkpoint: () => Promise<CheckpointResult>;
  holdWrites: HoldWrites;
  restartAfterPages: number;
  /** Whether the checkpointer closed meanwhile (then nothing more runs). */
  closed: () => boolean;
}

/**
 * After a checkpoint (`first`) found the WAL past `restartAfterPages`, makes
 * it start over. The checkpoint that runs with writes held copies what the
 * ones before left, then syncs the database file, and every write waits for
 * it. Run straight after `first`, it had everything that arrived while
 * `first` copied and synced: 35–48 ms held at the median at 1,000 msg/s
 * (docs/benchmarks.md, WALRESTART2). So checkpoints with writes flowing go
 * first, each copying what arrived during the one before, until one copied
 * everything it found and at most HELD_COPY_FRAMES frames, or no fewer than
 * ¾ of the one before (the gap no longer closes: it settles near the write
 * rate times a checkpoint's syncs); the held one then has about as much to
 * copy (10–31 ms at the median, mostly the database file's sync). At most
 * CATCH_UP_RUNS of them.
 *
 * No hold when it cannot help: the WAL was found short (it started over by
 * itself between two commits; or -1, another connection was checkpointing),
 * the checkpointer closed, or the last run could not copy everything it
 * found (a reader still needs older frames: one of this process's reads for
 * a moment, another process's backup for longer; the next tick tries
 * again). Answers the held checkpoint's result, or null if none ran.
 */
export async function startOver(first: CheckpointResult, deps: StartOverDeps): Promise<CheckpointResult | null> {
  if (first.log < deps.restartAfterPages || deps.closed()) return null;
  let copied = first.checkpointed;
  let before = Infinity;
  let complete = false;
  for (let run = 0; run < CATCH_UP_RUNS; run++) {
    const next = await deps.checkpoint();
    if (deps.closed() || next.log < deps.restartAfterPages) return null;
    const gained = next.checkpointed - copied;
    copied = next.checkpointed;
    complete = next.checkpointed === next.log;
    if (complete && (gained <= HELD_COPY_FRAMES || gained >= NOT_CLOSING * before)) break;
    before = gained;
  }
  if (!complete) return null;
  return deps.holdWrites(() => deps.checkpoint());
}
