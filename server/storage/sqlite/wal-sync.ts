import { closeSync, fdatasync, fsyncSync, openSync } from "node:fs";
import path from "node:path";
import type Database from "better-sqlite3";

/**
 * Durability without blocking the event loop (issue 16, docs/benchmarks.md
 * "Group commit off the event loop").
 *
 * better-sqlite3 is synchronous: with `synchronous = FULL` every COMMIT
 * waits for its `fsync` on the main thread, and sockets wait with it (30–57 %
 * of the server's time under load). Instead the connection commits with
 * `synchronous = NORMAL` — the commit writes its frames to the WAL file in
 * the page cache, SQLite still syncs the WAL before every checkpoint, so the
 * database is never corrupted — and Courier syncs the WAL itself with
 * `fdatasync` on libuv's thread pool, answering no one before it returns.
 * fsync works on the file, whatever descriptor wrote it: this descriptor's
 * sync covers every frame SQLite wrote before the call. An answered write is
 * on disk exactly as with FULL; the event loop runs while the disk syncs.
 *
 * `SyncPipeline` keeps one sync in flight: commits made meanwhile wait for
 * the next one, which covers them all.
 */
export class SyncPipeline {
  private committed = 0;
  private synced = 0;
  private syncing = false;
  private failure: Error | null = null;
  /** Who waits for which commit; `since` (performance.now()) for those that may give up (reads), else -1. */
  private waiters: { mark: number; since: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Waiters that may give up (`durable(mark, true)`). */
  private mayGiveUp = 0;
  /** Syncs run, for benchmarks. */
  readonly stats = { syncs: 0 };

  /**
   * `sync` makes everything written so far durable; `onSettled` is told when
   * no sync is in flight any more (the group commit gathers meanwhile).
   */
  constructor(
    private readonly sync: () => Promise<void>,
    private readonly onSettled: () => void = () => {},
  ) {}

  /** Counts a commit; call right after COMMIT returns, before anything else reads. */
  commit(): number {
    return ++this.committed;
  }

  /** What has been committed so far (what a read that runs now sees). */
  get mark(): number {
    return this.committed;
  }

  /** Whether commit `mark` (and every one before it) is on disk already. */
  isDurable(mark: number): boolean {
    return mark <= this.synced;
  }

  /** Whether a sync is running (new commits then wait to gather). */
  get busy(): boolean {
    return this.syncing;
  }

  /** Why the last sync failed, if one did: nothing committed since can be promised. */
  get failed(): Error | null {
    return this.failure;
  }

  /**
   * Resolves once commit `mark` (and every one before it) is on disk. With
   * `mayGiveUp` (a read: nothing of it was answered yet) the wait can be
   * ended by `giveUp`; without (a committed write) it lasts until the disk
   * answers.
   */
  durable(mark: number, mayGiveUp = false): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (mark <= this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ mark, since: mayGiveUp ? performance.now() : -1, resolve, reject });
      if (mayGiveUp) this.mayGiveUp++;
      this.start();
    });
  }

  /** Since when (performance.now()) the oldest waiter that may give up has waited; Infinity if none waits. */
  get oldestMayGiveUp(): number {
    if (this.mayGiveUp === 0) return Infinity;
    for (const w of this.waiters) if (w.since >= 0) return w.since;
    return Infinity;
  }

  /** Ends with `error` the waits that may give up and began at `cutoff` or before. */
  giveUp(cutoff: number, error: Error): void {
    if (this.mayGiveUp === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (w.since < 0 || w.since > cutoff) return true;
      this.mayGiveUp--;
      w.reject(error);
      return false;
    });
  }

  private start(): void {
    if (this.syncing || this.failure) return;
    this.syncing = true;
    const target = this.committed;
    // Through a promise: a sync that throws at once fails like one that rejects.
    Promise.resolve()
      .then(() => this.sync())
      .then(
      () => {
        this.stats.syncs++;
        this.synced = target;
        const waiting = this.waiters;
        this.waiters = [];
        for (const w of waiting) {
          if (w.mark > target) this.waiters.push(w);
          else {
            if (w.since >= 0) this.mayGiveUp--;
            w.resolve();
          }
        }
        this.syncing = false;
        if (this.waiters.length > 0) this.start();
        else this.onSettled();
      },
      (error: unknown) => {
        // An fsync that failed may have dropped the pages it was given (Linux clears the error
        // after reporting it once): what was committed since the last good sync is in doubt, and
        // no later sync can vouch for it. Stop promising anything, like PostgreSQL's PANIC.
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.syncing = false;
        const waiting = this.waiters;
        this.waiters = [];
        this.mayGiveUp = 0;
        for (const w of waiting) w.reject(this.failure);
        this.onSettled();
      },
    );
  }
}

/**
 * The WAL file of a file database, synced from the thread pool. Opening it
 * switches the connection to `synchronous = NORMAL`: from then on this sync
 * is what makes a commit durable. The connection must already be in WAL mode
 * with its WAL file created (openDatabase's migrations read the database,
 * which creates it). Close it after the connection.
 */
export class WalFile {
  private readonly fd: number;

  constructor(db: Database.Database) {
    const wal = `${db.name}-wal`;
    this.fd = openSync(wal, "r");
    // Under FULL, SQLite syncs a new WAL file's directory entry on its first sync; do it here.
    syncDirectory(path.dirname(wal));
    db.pragma("synchronous = NORMAL");
  }

  /** `fdatasync` on libuv's thread pool: every frame written to the WAL before the call is on disk after. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => fdatasync(this.fd, (error) => (error ? reject(error) : resolve())));
  }

  close(): void {
    closeSync(this.fd);
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
