import type Database from "better-sqlite3";
import type { Appended } from "../storage.js";
import { AppendBatch } from "./append-batch.js";

export interface Committed<T> {
  result: T;
  appended: Appended;
}

interface Pending<S> {
  fn: (st: S, batch: AppendBatch) => unknown;
  resolve: (committed: Committed<unknown>) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; committed: Committed<unknown> } | { ok: false; error: unknown };

/**
 * Group commit: every write asked for during one turn of the event loop goes
 * into one `BEGIN IMMEDIATE … COMMIT`, so many sends cost one fsync instead
 * of one each (with `synchronous = FULL`, the commit is most of a write's
 * cost). Each write runs in its own savepoint: one that throws rolls back
 * alone and rejects alone; the others commit. Nobody hears "done" before the
 * commit, so an answered write is durable exactly as before; a commit that
 * fails rejects every write of the group, none of which was kept.
 *
 *   write() ──▶ queued ──(end of this turn: setImmediate)──▶ BEGIN IMMEDIATE
 *     each queued fn in a SAVEPOINT (throws: rolled back, rejected) ──▶ COMMIT
 *     ──▶ resolve each with its result and the entries it appended
 *
 * A group of one runs as a plain transaction, as before.
 */
export class GroupCommit<S> {
  private queue: Pending<S>[] = [];
  private scheduled = false;
  /** Transactions that kept something, and the writes they kept, for benchmarks and metrics. */
  readonly stats = { commits: 0, writes: 0, largest: 0 };

  constructor(
    private readonly db: Database.Database,
    private readonly stores: S,
    private readonly schedule: (run: () => void) => void = (run) => void setImmediate(run),
  ) {}

  write<T>(fn: (st: S, batch: AppendBatch) => T): Promise<Committed<T>> {
    return new Promise<Committed<T>>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (c: Committed<unknown>) => void, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      this.schedule(() => this.flush());
    });
  }

  /** Commits what is queued now (also from close(), before the database goes). */
  flush(): void {
    this.scheduled = false;
    const group = this.queue;
    if (group.length === 0) return;
    this.queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = group.length === 1 ? [this.alone(group[0]!)] : this.together(group);
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

  private alone(op: Pending<S>): Outcome {
    const batch = new AppendBatch();
    try {
      const result = this.db.transaction(() => op.fn(this.stores, batch)).immediate();
      return { ok: true, committed: { result, appended: batch.toAppended() } };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private together(group: Pending<S>[]): Outcome[] {
    return this.db
      .transaction(() =>
        group.map((op): Outcome => {
          const batch = new AppendBatch();
          try {
            // Nested in the outer transaction, better-sqlite3 makes this a savepoint.
            const result = this.db.transaction(() => op.fn(this.stores, batch))();
            return { ok: true, committed: { result, appended: batch.toAppended() } };
          } catch (error) {
            // Some errors (a full disk, I/O) make SQLite roll the whole transaction back: then the group failed.
            if (!this.db.inTransaction) throw error;
            return { ok: false, error };
          }
        }),
      )
      .immediate();
  }
}
