import type Database from "better-sqlite3";
import { CourierError } from "../../../shared/protocol/index.js";
import type { Committed } from "../tx.js";
import { AppendBatch } from "../append-batch.js";
import { SyncPipeline } from "./wal-sync.js";

interface Pending<R> {
  fn: (r: R) => Promise<unknown>;
  /** When it was asked for (performance.now()): one that waits past the stall limit while writes are blocked is answered `unavailable`. */
  since: number;
  resolve: (committed: Committed<unknown>) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; committed: Committed<unknown> } | { ok: false; error: unknown };

/**
 * The one connection's turns, and group commit.
 *
 * Turns: a rule awaits its repositories, so a transaction spans microtasks;
 * without turns another request's statements could run on the connection
 * inside it and see what is not yet committed. So the connection is held by
 * one task at a time, a read (a deferred transaction: one consistent picture)
 * or a group of writes. SQLite answers synchronously, so a turn lasts
 * microseconds and never waits on I/O other than the commit's fsync.
 *
 * Group commit: every write asked for during one turn of the event loop goes
 * into one `BEGIN IMMEDIATE … COMMIT`, so many sends cost one fsync instead
 * of one each (with `synchronous = FULL`, the commit is most of a write's
 * cost). Each write runs in its own savepoint: one that throws rolls back
 * alone and rejects alone; the others commit. Nobody hears "done" before the
 * commit, so an answered write is durable; a commit that fails rejects every
 * write of the group, none of which was kept.
 *
 *   write() ──▶ queued ──(end of this turn: setImmediate)──▶ BEGIN IMMEDIATE
 *     each queued fn in a SAVEPOINT (throws: rolled back, rejected) ──▶ COMMIT
 *     ──▶ resolve each with its result and the entries it appended
 *
 * A group of one runs as a plain transaction.
 *
 * Durability off the event loop (with `sync`, a file database): COMMIT no
 * longer waits for the disk (`synchronous = NORMAL`); the WAL is synced on
 * the thread pool (wal-sync.ts) and a group is answered after that sync.
 * While a sync runs, new writes gather into the next group, which commits
 * when it ends (pipelined group commit: one group syncs while the next one
 * gathers). A read may see a commit whose sync has not finished; its answer
 * waits for that sync too, so nothing that is not yet on disk ever leaves
 * the process. A failed sync puts everything since the last good one in
 * doubt: those writes are rejected as such, and every later task answers
 * `unavailable` until the process restarts (SQLite recovers from the WAL).
 *
 *   COMMIT(n) ──▶ fdatasync(WAL) on the pool ─────────────▶ answer group n
 *                 meanwhile: writes gather ──▶ COMMIT(n+1) ──▶ fdatasync ──▶ …
 *
 * Background writes (a campaign step: hundreds of appends) never share a
 * transaction with people's writes: each is a group of its own, committed
 * when nothing else is queued, or after BACKGROUND_AFTER_GROUPS groups went
 * ahead of it (so a busy server still finishes its campaign).
 *
 * A disk that stops answering (a sync that does not return, a held
 * checkpoint stuck in its own sync) must not hold requests forever: a write
 * queued for STALL_LIMIT_MS while writes are blocked (held, or behind a sync
 * that has not returned), which never ran, is answered `unavailable` (the
 * client sends it again, with its clientMsgId), and so is a read still
 * waiting for the sync of what it saw. A write whose group committed waits
 * for its sync as long as it takes: it may be kept.
 */
export class GroupCommit<R> {
  private queue: Pending<R>[] = [];
  /** Background writes (WriteOptions.background), one per transaction, after the queue. */
  private background: Pending<R>[] = [];
  /** Groups committed while background writes waited: one goes after BACKGROUND_AFTER_GROUPS of them. */
  private passedOver = 0;
  /** Flushes under way (drain() waits for each, its sync included). */
  private readonly flushing = new Set<Promise<void>>();
  private scheduled = false;
  /** Writes are held until this settles (holdWrites): they gather and commit after. */
  private holding: Promise<void> | null = null;
  private busy = false;
  private readonly waiting: (() => void)[] = [];
  private readonly sql;
  private readonly syncs: SyncPipeline | null;
  /** Armed while anything waits (queued writes, reads waiting for a sync), for the oldest: see `answerStalled`. */
  private stallTimer: NodeJS.Timeout | null = null;
  /** Transactions that kept something, the writes they kept, and the times writes were held (holdWrites) and for how long in all (ms): for benchmarks and metrics. */
  readonly stats = { commits: 0, writes: 0, largest: 0, holds: 0, heldMs: 0 };

  /**
   * `session(batch)` gives the repositories a task uses: with the batch that
   * records what a write appends, or null for a read (appending then throws).
   */
  constructor(
    private readonly db: Database.Database,
    private readonly session: (batch: AppendBatch | null) => R,
    private readonly schedule: (run: () => void) => void = (run) => void setImmediate(run),
    /** Makes what was committed durable (WalFile.sync); without it each COMMIT is durable itself. */
    sync: (() => Promise<void>) | null = null,
    private readonly stallLimitMs = STALL_LIMIT_MS,
  ) {
    this.syncs = sync
      ? new SyncPipeline(sync, () => {
          this.unwatchIfIdle();
          this.kick();
        })
      : null;
    this.sql = {
      begin: db.prepare("BEGIN"),
      beginImmediate: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT op"),
      release: db.prepare("RELEASE op"),
      rollbackTo: db.prepare("ROLLBACK TO op"),
    };
  }

  write<T>(fn: (r: R) => Promise<T>, background = false): Promise<Committed<T>> {
    if (this.syncs?.failed) return Promise.reject(syncFailed());
    return new Promise<Committed<T>>((resolve, reject) => {
      (background ? this.background : this.queue).push({ fn, since: performance.now(), resolve: resolve as (c: Committed<unknown>) => void, reject });
      this.watchStall();
      this.kick();
    });
  }

  /** A read in its own turn, as one deferred transaction; answered once what it saw is on disk. */
  async read<T>(fn: (r: R) => Promise<T>): Promise<T> {
    if (this.syncs?.failed) throw syncFailed();
    let seen = 0;
    let result: T | undefined;
    let failure: { error: unknown } | null = null;
    try {
      result = await this.turn(async () => {
        this.sql.begin.run();
        try {
          return await fn(this.session(null));
        } finally {
          if (this.db.inTransaction) this.sql.commit.run();
          seen = this.syncs?.mark ?? 0;
        }
      });
    } catch (error) {
      failure = { error };
    }
    // An answer drawn from what it saw, an error too (a member's removal, say), waits until that is on disk.
    if (this.syncs?.isDurable(seen) === false) {
      const synced = this.syncs.durable(seen, true);
      this.watchStall();
      await synced.catch((error: unknown) => Promise.reject(error instanceof CourierError ? error : syncFailed()));
    } else if (this.syncs?.failed) {
      throw syncFailed();
    }
    if (failure) throw failure.error;
    return result as T;
  }

  /**
   * Runs `task` while no write commits: a group committing now finishes
   * first; writes asked for meanwhile gather and commit as one group when
   * `task` settles (a flush asked for directly, close's, waits too). Reads go
   * on. The checkpointer uses it to let the WAL start over (checkpointer.ts).
   */
  async holdWrites<T>(task: () => Promise<T>): Promise<T> {
    if (this.holding) throw new Error("writes are already held");
    // The connection's turn first: a group mid-commit ends before the task starts.
    const run = this.turn(async () => undefined).then(task);
    const holding = run.then(
      () => undefined,
      () => undefined,
    );
    this.holding = holding;
    const since = performance.now();
    try {
      return await run;
    } finally {
      this.stats.holds++;
      this.stats.heldMs += performance.now() - since;
      if (this.holding === holding) this.holding = null;
      this.kick();
    }
  }

  /** Schedules a flush at the end of this turn, unless one is scheduled, a sync runs or writes are held (their end kicks again). */
  private kick(): void {
    if (this.scheduled || this.holding || (this.queue.length === 0 && this.background.length === 0) || this.syncs?.busy) return;
    this.scheduled = true;
    this.schedule(() => void this.flush());
  }

  /**
   * Arms the stall timer for the oldest of what waits (the queues are first
   * in, first out; reads wait in the sync's list), unless it is armed or
   * nothing waits.
   */
  private watchStall(): void {
    if (this.stallTimer) return;
    const oldest = Math.min(this.queue[0]?.since ?? Infinity, this.background[0]?.since ?? Infinity, this.syncs?.oldestMayGiveUp ?? Infinity);
    if (oldest === Infinity) return;
    this.stallTimer = setTimeout(() => this.answerStalled(), Math.max(0, oldest + this.stallLimitMs - performance.now()));
    this.stallTimer.unref();
  }

  /** Disarms the stall timer once nothing waits. */
  private unwatchIfIdle(): void {
    if (this.stallTimer && this.queue.length === 0 && this.background.length === 0 && (this.syncs?.oldestMayGiveUp ?? Infinity) === Infinity) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
  }

  /**
   * What waited past the stall limit: while writes are blocked (held, or
   * behind a sync that has not returned), the writes that never ran are
   * answered `unavailable`; so is every read still waiting for its sync.
   * When the way is clear the writes go on (a flush is asked for).
   */
  private answerStalled(): void {
    this.stallTimer = null;
    const cutoff = performance.now() - this.stallLimitMs;
    this.syncs?.giveUp(cutoff, diskStalled());
    if (this.holding || this.syncs?.busy) {
      const late = (op: Pending<R>) => op.since <= cutoff;
      const stalled = [...this.queue.filter(late), ...this.background.filter(late)];
      this.queue = this.queue.filter((op) => !late(op));
      this.background = this.background.filter((op) => !late(op));
      for (const op of stalled) op.reject(diskStalled());
    } else {
      this.kick();
    }
    this.watchStall();
  }

  /** Commits what is queued now (also from close(), before the database goes). */
  flush(): Promise<void> {
    const run = this.flushOnce();
    this.flushing.add(run);
    void run.finally(() => this.flushing.delete(run));
    return run;
  }

  private async flushOnce(): Promise<void> {
    try {
      while (this.holding) await this.holding;
      await this.commitAndAnswer();
    } finally {
      // What is left (a background write passed over, writes queued meanwhile) gets its turn now.
      this.kick();
    }
  }

  private async commitAndAnswer(): Promise<void> {
    this.scheduled = false;
    const group = this.nextGroup();
    if (group.length === 0) return;
    if (this.syncs?.failed) {
      // Nothing more is committed on a WAL whose last sync failed.
      for (const op of group) op.reject(syncFailed());
      return;
    }
    let outcomes: Outcome[];
    try {
      outcomes = await this.turn(() => this.commitGroup(group));
    } catch (error) {
      // BEGIN or COMMIT failed (a lock held past busy_timeout, a full disk): nothing of the group was kept.
      for (const op of group) op.reject(error);
      return;
    }
    const kept = outcomes.filter((o) => o.ok).length;
    if (kept > 0) {
      this.stats.commits++;
      this.stats.writes += kept;
      this.stats.largest = Math.max(this.stats.largest, kept);
    }
    if (this.syncs) {
      try {
        await this.syncs.durable(this.syncs.mark);
      } catch {
        // Committed, but the sync that should have made it durable failed: it may or may not survive.
        group.forEach((op, i) => op.reject(outcomes[i]!.ok ? commitInDoubt() : (outcomes[i] as { error: unknown }).error));
        return;
      }
    }
    group.forEach((op, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) op.resolve(outcome.committed);
      else op.reject(outcome.error);
    });
  }

  /** People's writes first; a background write alone when none waits, or when it was passed over long enough. */
  private nextGroup(): Pending<R>[] {
    if (this.background.length > 0 && (this.queue.length === 0 || this.passedOver >= BACKGROUND_AFTER_GROUPS)) {
      this.passedOver = 0;
      const alone = [this.background.shift()!];
      this.unwatchIfIdle();
      return alone;
    }
    const group = this.queue;
    this.queue = [];
    if (group.length > 0 && this.background.length > 0) this.passedOver++;
    this.unwatchIfIdle();
    return group;
  }

  /** WAL syncs run so far (0 without `sync`). */
  get syncCount(): number {
    return this.syncs?.stats.syncs ?? 0;
  }

  /** Resolves once every task asked for so far has run (close() waits for this). */
  async drain(): Promise<void> {
    // A sync in flight holds the queue back; a read waits for it (failed or stalled, it rejects: nothing more to wait for).
    await this.read(async () => undefined).catch(() => undefined);
    while (this.queue.length > 0 || this.background.length > 0 || this.flushing.size > 0) {
      await Promise.all([...this.flushing, this.flush()]);
    }
    await this.turn(async () => undefined);
  }

  private async commitGroup(group: Pending<R>[]): Promise<Outcome[]> {
    const alone = group.length === 1;
    this.sql.beginImmediate.run();
    const outcomes: Outcome[] = [];
    try {
      for (const op of group) {
        const batch = new AppendBatch();
        if (!alone) this.sql.savepoint.run();
        try {
          const result = await op.fn(this.session(batch));
          if (!alone) this.sql.release.run();
          outcomes.push({ ok: true, committed: { result, appended: batch.toAppended() } });
        } catch (error) {
          // Some errors (a full disk, I/O) make SQLite roll the whole transaction back: then the group failed.
          if (!this.db.inTransaction) throw error;
          if (alone) {
            this.sql.rollback.run();
            return [{ ok: false, error }];
          }
          this.sql.rollbackTo.run();
          this.sql.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.sql.commit.run();
      // Counted before anyone else takes the connection: a read after this sees the commit.
      this.syncs?.commit();
      return outcomes;
    } catch (error) {
      if (this.db.inTransaction) this.sql.rollback.run();
      throw error;
    }
  }

  /** Runs `task` when the connection is free; hands it straight to the next waiting task after. */
  private async turn<T>(task: () => Promise<T>): Promise<T> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy = true;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy = false;
    }
  }
}

/** People's write groups that may go ahead of a waiting background write. */
export const BACKGROUND_AFTER_GROUPS = 8;

/** How long a write may wait queued while writes are blocked, or a read for its sync, before it is told `unavailable` (ms). */
export const STALL_LIMIT_MS = 10_000;

function diskStalled(): CourierError {
  return CourierError.unavailable("The database is waiting for its disk; try again shortly.", 3000);
}

/** Every task after a failed WAL sync: the process must restart before it promises anything again. */
function syncFailed(): CourierError {
  return CourierError.unavailable("The database could not save to disk; try again shortly.", 3000);
}

function commitInDoubt(): CourierError {
  return new CourierError("internal", "The database could not confirm this change reached the disk; it may have been kept. Retrying is safe.");
}
