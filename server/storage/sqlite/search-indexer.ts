import type Database from "better-sqlite3";

/** How long after a message is stored its row waits to be indexed, at most (ms), so a batch gathers. */
export const INDEX_AFTER_MS = 100;
/** After a failed run (the database unavailable, say), the next try (ms). */
export const INDEX_RETRY_MS = 5_000;
/** Pending rows one background write moves into the index: a few milliseconds of the writer at most. */
export const INDEX_BATCH = 256;

/**
 * The search index written behind the send (migration 14, issue 16). FTS5
 * turns what a transaction added into a new segment at COMMIT: ~85 µs of a
 * one-message group's commit, on the event loop, whatever the message. New
 * messages' rowids wait in `message_search_pending`, and this moves them into
 * `message_search` INDEX_BATCH at a time, in background writes (group-commit.ts:
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
  /** Background writes run and rows indexed, for tests and benchmarks. */
  readonly stats = { runs: 0, indexed: 0 };

  /** `write(task)` runs `task` in a background write of the engine and answers its result once durable. */
  constructor(
    db: Database.Database,
    private readonly write: <T>(task: () => T) => Promise<T>,
    private readonly onError: (error: unknown) => void = (error) => console.error("Indexing messages for search failed; it is tried again.", error),
  ) {
    this.s = {
      any: db.prepare<[], { one: number }>(`SELECT 1 AS one FROM message_search_pending LIMIT 1`),
      // The last rowid of the next batch (the pending rows in rowid order).
      upto: db.prepare<[number], { upto: number | null }>(
        `SELECT max(message_rowid) AS upto FROM (SELECT message_rowid FROM message_search_pending ORDER BY message_rowid LIMIT +?)`,
      ),
      // Their text as it is now: a message recalled while pending has '' and is not indexed.
      index: db.prepare<[number]>(
        `INSERT INTO message_search(rowid, search_text)
         SELECT m.rowid, m.search_text FROM message_search_pending p JOIN messages m ON m.rowid = p.message_rowid
         WHERE p.message_rowid <= ? AND m.search_text <> ''`,
      ),
      done: db.prepare<[number]>(`DELETE FROM message_search_pending WHERE message_rowid <= ?`),
    };
    if (this.s.any.get()) this.stored();
  }

  /** A message with search text was stored (or is about to be): its row is indexed within INDEX_AFTER_MS. */
  stored(after = INDEX_AFTER_MS): void {
    this.dirty = true;
    if (this.timer || this.running || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, after);
    this.timer.unref();
  }

  /** A run in the background: a failure is reported and the rows are tried again later. */
  private start(): void {
    this.run().catch((error: unknown) => {
      this.onError(error);
      this.stored(INDEX_RETRY_MS);
    });
  }

  /**
   * Indexes one batch now. A full batch is followed by the next at once (a
   * burst is never left behind), a partial one by the timer when more comes.
   * Resolves with the pending rows it cleared.
   */
  async run(): Promise<number> {
    if (this.running || this.closed) return 0;
    this.running = true;
    this.dirty = false;
    let cleared = 0;
    try {
      const done = await this.write(() => this.batch());
      this.stats.runs++;
      this.stats.indexed += done.indexed;
      cleared = done.cleared;
    } finally {
      this.running = false;
    }
    if (cleared === INDEX_BATCH) this.start();
    else if (this.dirty) this.stored();
    return cleared;
  }

  /** Inside a write: the next INDEX_BATCH pending rows into the index, and out of the table. */
  private batch(): { cleared: number; indexed: number } {
    const upto = this.s.upto.get(INDEX_BATCH)?.upto ?? null;
    if (upto === null) return { cleared: 0, indexed: 0 };
    const indexed = this.s.index.run(upto).changes;
    return { cleared: this.s.done.run(upto).changes, indexed };
  }

  /** Stops the timer; what is pending stays in the table for the next start. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
