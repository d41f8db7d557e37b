import type Database from "better-sqlite3";
import type { Committed } from "../tx.js";
import { AppendBatch } from "../append-batch.js";

interface Pending<R> {
  fn: (r: R) => Promise<unknown>;
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
 */
export class GroupCommit<R> {
  private queue: Pending<R>[] = [];
  private scheduled = false;
  private busy = false;
  private readonly waiting: (() => void)[] = [];
  private readonly sql;
  /** Transactions that kept something, and the writes they kept, for benchmarks and metrics. */
  readonly stats = { commits: 0, writes: 0, largest: 0 };

  /**
   * `session(batch)` gives the repositories a task uses: with the batch that
   * records what a write appends, or null for a read (appending then throws).
   */
  constructor(
    private readonly db: Database.Database,
    private readonly session: (batch: AppendBatch | null) => R,
    private readonly schedule: (run: () => void) => void = (run) => void setImmediate(run),
  ) {
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

  write<T>(fn: (r: R) => Promise<T>): Promise<Committed<T>> {
    return new Promise<Committed<T>>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (c: Committed<unknown>) => void, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      this.schedule(() => void this.flush());
    });
  }

  /** A read in its own turn, as one deferred transaction. */
  read<T>(fn: (r: R) => Promise<T>): Promise<T> {
    return this.turn(async () => {
      this.sql.begin.run();
      try {
        return await fn(this.session(null));
      } finally {
        if (this.db.inTransaction) this.sql.commit.run();
      }
    });
  }

  /** Commits what is queued now (also from close(), before the database goes). */
  async flush(): Promise<void> {
    this.scheduled = false;
    const group = this.queue;
    if (group.length === 0) return;
    this.queue = [];
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
    group.forEach((op, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) op.resolve(outcome.committed);
      else op.reject(outcome.error);
    });
  }

  /** Resolves once every task asked for so far has run (close() waits for this). */
  async drain(): Promise<void> {
    await this.flush();
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
