import type Database from "better-sqlite3";

/** How long after a message is stored its row waits to be indexed, at most (ms), so a batch gathers. */
export const INDEX_AFTER_MS = 100;
/** Pending rows one background write moves into the index: a few milliseconds of the writer. */
export const INDEX_BATCH = 256;
/** After full batches in a row (a backlog) the batch doubles, up to this (~15 ms of the writer). */
export const INDEX_BATCH_MAX = 1024;
/** After a failed run, the next try (ms); it doubles with each failure in a row, up to INDEX_RETRY_MAX_MS. */
export const INDEX_RETRY_MS = 5_000;
export const INDEX_RETRY_MAX_MS = 60_000;

/**
 * Moves the `limit` oldest pending rows into the index, with their text as it
 * is now (a message recalled while pending has '' and is not indexed).
 * CROSS JOIN: from the pending rows to theirs, never a walk of `messages`.
 */
export const INDEX_PENDING_SQL = `
  INSERT INTO message_search(rowid, search_text)
  SELECT m.rowid, m.search_text FROM message_search_pending p CROSS JOIN messages m ON m.rowid = p.message_rowid
  WHERE p.message_rowid <= ? AND m.search_text <> ''`;

/** The statements that move pending rows into the index, prepared on `db`. */
function statements(db: Database.Database) {
  return {
    any: db.prepare<[], { one: number }>(`SELECT 1 AS one FROM message_search_pending LIMIT 1`),
    // The last rowid of the next batch (the pending rows in rowid order).
    upto: db.prepare<[number], { upto: number | null }>(
      `SELECT max(message_rowid) AS upto FROM (SELECT message_rowid FROM message_search_pending ORDER BY message_rowid LIMIT +?)`,
    ),
    index: db.prepare<[number]>(INDEX_PENDING_SQL),
    done: db.prepare<[number]>(`DELETE FROM message_search_pending WHERE message_rowid <= ?`),
  };
}

/** Inside a write: the next `limit` pending rows into the index, and out of the table. */
function moveBatch(s: ReturnType<typeof statements>, limit: number): { cleared: number; indexed: number } {
  const upto = s.upto.get(limit)?.upto ?? null;
  if (upto === null) return { cleared: 0, indexed: 0 };
  const indexed = s.index.run(upto).changes;
  return { cleared: s.done.run(upto).changes, indexed };
}

/** Indexes everything pending at once, in one transaction: for a bulk load (the search benchmark's seed), not a running server. */
export function indexAllPending(db: Database.Database): number {
  const s = statements(db);
  return db.transaction(() => moveBatch(s, Number.MAX_SAFE_INTEGER).indexed).immediate();
}

/**
 * The search index written behind the send (migration 14, issue 16). FTS5
 * turns what a transaction added into a new segment at COMMIT: ~85 µs of a
 * one-message group's commit, on the event loop, whatever the message. New
 * messages' rowids wait in `message_search_pending`, and this moves them into
 * `message_search` a batch at a time, in background writes (group-commit.ts:
 * never in a people's group, and after people's groups that are queued), one
 * segment per batch instead of per message. Search reads the pending rows
 * beside the index (search-store.ts), so nothing about what search finds
 * changes: only when the index holds a row.
 *
 * Rows left pending by a process that stopped are indexed by the next one.
 */
export class SearchIndexer {
  private readonly s;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** A message was stored since the last run began: it may not be in that run's batch. */
  private dirty = false;
  private closed = false;
  /** The next batch's size: INDEX_BATCH, doubled after each full one. */
  private size = INDEX_BATCH;
  /** Failed runs in a row (0: the last one succeeded). */
  private failures = 0;
  /** Background writes run and rows indexed, for tests and benchmarks. */
  readonly stats = { runs: 0, indexed: 0 };

  /** `write(task)` runs `task` in a background write of the engine and answers its result once durable. */
  constructor(
    db: Database.Database,
    private readonly write: <T>(task: () => T) => Promise<T>,
    private readonly onError: (error: unknown) => void = (error) =>
      console.error("Indexing new messages for search failed; they stay findable, and indexing is tried again.", error),
  ) {
    this.s = statements(db);
    if (this.s.any.get()) this.stored();
  }

  /** A message with search text was stored (or is about to be): its row is indexed within INDEX_AFTER_MS. */
  stored(): void {
    this.dirty = true;
    this.arm(INDEX_AFTER_MS);
  }

  private arm(after: number): void {
    if (this.timer || this.running || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, after);
    this.timer.unref();
  }

  /**
   * A run in the background. A failure (the database unavailable, say) is
   * reported once for a streak of them, and tried again later and later.
   */
  private start(): void {
    this.run().catch((error: unknown) => {
      if (this.closed) return;
      if (this.failures++ === 0) this.onError(error);
      this.arm(Math.min(INDEX_RETRY_MS * 2 ** (this.failures - 1), INDEX_RETRY_MAX_MS));
    });
  }

  /**
   * Indexes one batch now. A full batch is followed by the next at once, and
   * a bigger one (a burst is never left behind); a partial one by the timer
   * when more comes. Resolves with the pending rows it cleared.
   */
  async run(): Promise<number> {
    if (this.running || this.closed) return 0;
    this.running = true;
    this.dirty = false;
    const size = this.size;
    let cleared = 0;
    try {
      const done = await this.write(() => moveBatch(this.s, size));
      this.stats.runs++;
      this.stats.indexed += done.indexed;
      this.failures = 0;
      cleared = done.cleared;
    } finally {
      this.running = false;
    }
    this.size = cleared === size ? Math.min(size * 2, INDEX_BATCH_MAX) : INDEX_BATCH;
    if (cleared === size) this.start();
    else if (this.dirty) this.stored();
    return cleared;
  }

  /** Stops the timer; what is pending stays in the table for the next start. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
