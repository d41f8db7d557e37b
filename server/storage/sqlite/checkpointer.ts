import { Worker } from "node:worker_threads";

/** WAL pages after which the writer checkpoints by itself, on the event loop: the valve if the thread lags. */
export const WRITER_CHECKPOINT_PAGES = 10_000;
/** How often the thread checkpoints while there are commits (ms). */
export const CHECKPOINT_EVERY_MS = 200;

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
 */
export class Checkpointer {
  private readonly worker: Worker;
  private dirty = false;
  private inFlight = false;
  private closed = false;
  /** The thread is gone (it failed to start or died): nothing to wait for. */
  private dead = false;
  private readonly timer: NodeJS.Timeout;
  /** Checkpoints run and failed, and the WAL's size in pages at the last one. */
  readonly stats = { runs: 0, failures: 0, walPages: 0 };

  /** `onGone`: the thread died; the writer should checkpoint as SQLite does by default again. */
  constructor(
    file: string,
    private readonly onGone: () => void,
    private readonly onError: (message: string) => void = (message) => console.error(`WAL checkpoint failed: ${message}`),
  ) {
    this.worker = new Worker(new URL("./checkpoint-worker.mjs", import.meta.url), { workerData: { file } });
    this.worker.unref();
    this.worker.on("message", (m: { ok: true; log: number } | { ok: false; error: string }) => {
      this.inFlight = false;
      if (m.ok) {
        this.stats.runs++;
        this.stats.walPages = m.log;
      } else {
        this.stats.failures++;
        this.onError(m.error);
      }
    });
    // A thread that cannot start or dies: the writer checkpoints as SQLite always did (onGone).
    this.worker.on("error", (error) => this.onError(error.message));
    this.worker.on("exit", () => {
      if (this.dead) return;
      this.dead = true;
      clearInterval(this.timer);
      if (!this.closed) this.onGone();
    });
    this.timer = setInterval(() => this.tick(), CHECKPOINT_EVERY_MS);
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
    this.worker.postMessage("checkpoint");
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
