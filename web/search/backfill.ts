import { Dexie } from "dexie";
import { create } from "zustand";
import type { CourierDb } from "../db/database.js";
import type { StoredMessage } from "../db/records.js";
import { browserStorage, read, write, type KeyValue } from "../sync/transport-choice.js";
import { searchable, withoutSearchTerms } from "./local-index.js";

/**
 * Indexing the rows a database held before the search index existed
 * (schema 3 only declares `*terms`; the upgrade does no work, so the app
 * opens at once). After the app has painted, rows without `terms` are put
 * back through the index middleware in small readwrite transactions, newest
 * first (the `at` index), yielding to the page between batches: recent
 * history is searchable first. Progress is a marker in localStorage per
 * user (the time reached), so a reload resumes; it stops when the database
 * closes (sign-out). A row written meanwhile by sync is indexed by the
 * middleware anyway and skipped here, except the rows of a large pulled page
 * (`putMessages`): written unindexed, they move the marker up to them and
 * start the backfill once the engine has been quiet for a moment.
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

/**
 * Rows per readwrite transaction. Small, because reads of `messages` that
 * start meanwhile (opening a conversation) wait for the running batch: 300
 * rows made opening a 10,000-message conversation take 614 ms instead of
 * 187 ms while the backfill ran (docs/benchmarks.md, BACKFILL).
 */
export const BACKFILL_BATCH = 50;
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

/** A pulled page with more message rows than this is written without search terms (a live message is searchable at once). */
export const DEFER_TERMS_ABOVE = 50;
/** The backfill after a catch-up waits until no page was written unindexed for this long. */
export const QUIET_MS = 1_000;
/** When each user's database last had rows written unindexed (Date.now()). */
const deferredAt = new Map<string, number>();

/** The page's idle time, and no unindexed page written for QUIET_MS: the backfill never competes with a catch-up. */
async function idleAndQuiet(userId: string): Promise<void> {
  for (;;) {
    await idle();
    const wait = (deferredAt.get(userId) ?? 0) + QUIET_MS - Date.now();
    if (wait <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * Puts message rows inside the caller's transaction (a batch of pulled
 * entries, db/consumers.ts). More than DEFER_TERMS_ABOVE: the searchable
 * ones are stored without terms (the index entries are most of a row's
 * write cost), the backfill's marker is raised to the newest of them before
 * the commit (a reload resumes there), and once the transaction committed
 * the backfill indexes them. Rows found by nothing get `terms: []` as
 * always, so a recall never leaves its old terms behind.
 */
export async function putMessages(db: CourierDb, rows: StoredMessage[], storage: KeyValue | null = browserStorage()): Promise<void> {
  const later = rows.length > DEFER_TERMS_ABOVE ? rows.filter(searchable) : [];
  if (later.length === 0) {
    await db.messages.bulkPut(rows);
    return;
  }
  raiseMarker(storage, markerKey(db.userId), Math.max(...later.map((m) => m.at)));
  deferredAt.set(db.userId, Date.now());
  const trans = Dexie.currentTransaction?.idbtrans;
  await withoutSearchTerms(() => db.messages.bulkPut(rows));
  const backfill = () => void backfillSearchIndex(db, { storage }).catch((error) => console.warn("courier: could not index caught-up messages for search", error));
  if (trans) trans.addEventListener("complete", backfill);
  else backfill();
}

/** Rows up to `at` are unindexed: the marker goes up to `at` (from done, or from a lower time); no marker already means "from the newest". */
function raiseMarker(storage: KeyValue | null, key: string, at: number): void {
  const saved = marker(storage, key);
  if (saved === DONE) write(storage, key, String(at));
  else if (saved !== null && at > saved) write(storage, key, String(at));
}

/** The runs in progress, one per database: a second call while one runs makes it go round once more. */
const running = new WeakMap<CourierDb, { again: boolean; done: Promise<boolean> }>();

/**
 * Indexes every row of `db` that has no terms yet, newest first; resolves
 * when done or when the database closed (true when done). Safe to run
 * again: it resumes at its marker, and a row already indexed is skipped.
 * Called while a run is in progress, it answers that run, which goes round
 * once more (from the marker) before it resolves.
 */
export function backfillSearchIndex(db: CourierDb, options: BackfillOptions = {}): Promise<boolean> {
  const run = running.get(db);
  if (run) {
    run.again = true;
    return run.done;
  }
  const state = { again: false, done: Promise.resolve(false) };
  state.done = (async () => {
    try {
      for (;;) {
        state.again = false;
        const done = await indexUnindexed(db, options);
        if (!done || !state.again) return done;
      }
    } finally {
      running.delete(db);
    }
  })();
  running.set(db, state);
  return state.done;
}

async function indexUnindexed(db: CourierDb, options: BackfillOptions): Promise<boolean> {
  const { batch = BACKFILL_BATCH, yieldToPage = () => idleAndQuiet(db.userId), onBatch } = options;
  const storage = options.storage === undefined ? browserStorage() : options.storage;
  const key = markerKey(db.userId);
  const saved = marker(storage, key);
  if (saved === DONE) return true;
  setRunning(db.userId, true);
  try {
    let bound = saved ?? Infinity;
    // Ids already read at `bound` (rows sharing one time are read again with the next batch, never missed).
    let atBound = new Set<string>();
    // The marker as this run last saw it: another value means a pulled page raised it (putMessages).
    let seen = read(storage, key);
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
      const now = read(storage, key);
      if (now !== seen) {
        // Moved by someone else: a pulled page (up to its rows) or another tab's run (rows above it are indexed).
        seen = now;
        const moved = marker(storage, key);
        if (moved === DONE) return true;
        bound = moved ?? Infinity;
        atBound = new Set();
        if (step.rows.length > 0) onBatch?.(step.indexed);
        continue;
      }
      if (step.rows.length === 0) break;
      const oldest = Math.min(...step.rows.map((m: StoredMessage) => m.at));
      if (oldest !== bound) atBound = new Set();
      for (const m of step.rows) if (m.at === oldest) atBound.add(m.id);
      bound = oldest;
      write(storage, key, String(bound));
      seen = read(storage, key);
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
