import { Dexie } from "dexie";
import { create } from "zustand";
import type { CourierDb } from "../db/database.js";
import type { StoredMessage } from "../db/records.js";
import { browserStorage, read, write, type KeyValue } from "../sync/transport-choice.js";

/**
 * Indexing the rows a database held before the search index existed
 * (schema 3 only declares `*terms`; the upgrade does no work, so the app
 * opens at once). After the app has painted, rows without `terms` are put
 * back through the index middleware in small readwrite transactions, newest
 * first (the `at` index), yielding to the page between batches: recent
 * history is searchable first. Progress is a marker in localStorage per
 * user (the time reached), so a reload resumes; it stops when the database
 * closes (sign-out). A row written meanwhile by sync is indexed by the
 * middleware anyway and skipped here.
 */

export interface BackfillOptions {
  /** Rows per readwrite transaction. */
  batch?: number;
  /** Waits before each batch (the page's idle time by default). */
  yieldToPage?: () => Promise<void>;
  /** Where the progress marker is kept (localStorage by default). */
  storage?: KeyValue | null;
  /** Told after each batch: rows put back in it. */
  onBatch?: (indexed: number) => void;
}

export const BACKFILL_BATCH = 300;
const DONE = "done";
/** Any marker that is not a time: from the newest row. */
const RESTART = "restart";

const markerKey = (userId: string) => `courier-search-backfill:${userId}`;

/** Schema 3's upgrade: the rows there are unindexed, whatever an earlier database of this user reached. */
export function restartBackfill(userId: string, storage: KeyValue | null = browserStorage()): void {
  write(storage, markerKey(userId), RESTART);
}

/** Which users' databases are being indexed in this tab (the search screen says so). */
export const useSearchIndexing = create<{ running: Record<string, boolean> }>(() => ({ running: {} }));

const setRunning = (userId: string, running: boolean) =>
  useSearchIndexing.setState((s) => ({ running: { ...s.running, [userId]: running } }));

function idle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === "function") requestIdleCallback(() => resolve(), { timeout: 500 });
    else setTimeout(resolve, 0);
  });
}

/**
 * Indexes every row of `db` that has no terms yet, newest first; resolves
 * when done or when the database closed (true when done). Safe to run
 * again: it resumes at its marker, and a row already indexed is skipped.
 */
export async function backfillSearchIndex(db: CourierDb, options: BackfillOptions = {}): Promise<boolean> {
  const { batch = BACKFILL_BATCH, yieldToPage = idle, onBatch } = options;
  const storage = options.storage === undefined ? browserStorage() : options.storage;
  const key = markerKey(db.userId);
  const saved = marker(storage, key);
  if (saved === DONE) return true;
  setRunning(db.userId, true);
  try {
    let bound = saved ?? Infinity;
    // Ids already read at `bound` (rows sharing one time are read again with the next batch, never missed).
    let atBound = new Set<string>();
    for (;;) {
      await yieldToPage();
      if (!db.isOpen()) return false;
      const step = await db.transaction("rw", db.messages, async () => {
        const rows = (await db.messages.where("at").belowOrEqual(bound).reverse().limit(batch + atBound.size).toArray()).filter((m) => !atBound.has(m.id));
        const unindexed = rows.filter((m) => !("terms" in m));
        // Put back whole: the index middleware sets their terms.
        if (unindexed.length > 0) await db.messages.bulkPut(unindexed);
        return { rows, indexed: unindexed.length };
      });
      if (step.rows.length === 0) break;
      const oldest = Math.min(...step.rows.map((m: StoredMessage) => m.at));
      if (oldest !== bound) atBound = new Set();
      for (const m of step.rows) if (m.at === oldest) atBound.add(m.id);
      bound = oldest;
      write(storage, key, String(bound));
      onBatch?.(step.indexed);
    }
    write(storage, key, DONE);
    return true;
  } catch (error) {
    // Signed out (the database closed or went) mid-batch: the marker says where to resume.
    if (error instanceof Dexie.DatabaseClosedError || !db.isOpen()) return false;
    throw error;
  } finally {
    setRunning(db.userId, false);
  }
}

function marker(storage: KeyValue | null, key: string): number | typeof DONE | null {
  const value = read(storage, key);
  if (value === DONE) return DONE;
  const at = Number(value);
  return value !== null && Number.isFinite(at) ? at : null;
}
