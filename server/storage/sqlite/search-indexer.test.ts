import { rmSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseInput, searchQuerySchema } from "../../../shared/protocol/index.js";
import { search } from "../../search/search.js";
import { tempDir } from "../../testing/harness.js";
import { Storage } from "../storage.js";
import { SqliteEngine } from "./engine.js";
import { DB_FILE } from "./open.js";
import { openDatabase } from "./open.js";
import {
  INDEX_AFTER_MS,
  INDEX_BATCH,
  INDEX_PENDING_SQL,
  INDEX_RETRY_MAX_MS,
  INDEX_RETRY_MS,
  indexAllPending,
  SearchIndexer,
} from "./search-indexer.js";

/**
 * The search index written behind the send (migration 14): a message is found
 * from its commit on, whether its row is still pending or already indexed;
 * the index holds exactly the rows that are not pending, intact (FTS5's
 * integrity-check, and its rowids against the table's); recalls and deletes of
 * pending and indexed rows alike leave no searchable text.
 */

const cleanups: (() => Promise<void> | void)[] = [];
// The indexer's timer moves only when a test moves it.
beforeEach(() => void vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] }));
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Waits for `check` to pass without moving the fake clock: the indexer's own work (a background write, the
 * WAL's sync on the thread pool) completes on real I/O, and a timer it armed stays where it is.
 */
async function settled(check: () => void): Promise<void> {
  const until = performance.now() + 10_000;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (performance.now() > until) throw error;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function dataDir(): string {
  const dir = tempDir();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An engine on `dir` with Ann and Bo in one chat, and a raw connection beside it to look at the tables. */
function open(dir: string) {
  const engine = SqliteEngine.open({ dataDir: dir, ringCapacity: 100 });
  const storage = new Storage(engine);
  const raw = new Database(path.join(dir, DB_FILE));
  cleanups.push(() => storage.close());
  cleanups.push(() => void raw.close());
  const count = (sql: string) => (raw.prepare(sql).get() as { n: number }).n;
  return {
    engine,
    storage,
    raw,
    pending: () => count(`SELECT count(*) AS n FROM message_search_pending`),
    /** Rows the index holds that contain `word` (the index alone, not the pending rows). */
    indexed: (word: string) => count(`SELECT count(*) AS n FROM message_search WHERE message_search MATCH '"${word}"'`),
    /**
     * The index is whole (FTS5's own integrity-check) and holds exactly the rows with search text that are not
     * pending. (Its check against the content table, rank 1, also wants rows without text, which the triggers
     * have left out since migration 7.)
     */
    integrityCheck: () => {
      raw.exec(`INSERT INTO message_search(message_search) VALUES ('integrity-check')`);
      const ids = (sql: string) => raw.prepare(sql).pluck().all();
      expect(ids(`SELECT id FROM message_search_docsize ORDER BY id`)).toEqual(
        ids(`SELECT rowid FROM messages WHERE search_text <> '' AND rowid NOT IN (SELECT message_rowid FROM message_search_pending) ORDER BY rowid`),
      );
    },
    find: async (q: string) => (await storage.read((r) => search(r, "bo", parseInput(searchQuerySchema, { q })))).results.map((x) => x.message.id),
    /** Ann's messages into c1, in one write; the conversation's last seq follows (search reads chats with messages). */
    send: async (...bodies: [id: string, body: string][]) => {
      let seq = (raw.prepare(`SELECT last_seq AS n FROM conversations WHERE id = 'c1'`).get() as { n: number }).n;
      await storage.write(async (tx) => {
        for (const [id, body] of bodies) {
          seq++;
          await tx.messages.insert({ id, conversationId: "c1", seq, senderId: "ann", clientMsgId: id, kind: "text", body, at: 1000 + seq });
        }
      });
      raw.prepare(`UPDATE conversations SET last_seq = ? WHERE id = 'c1'`).run(seq);
    },
  };
}

/**
 * One row pending, found by `word`: still pending 1 ms before INDEX_AFTER_MS, indexed once it has passed, found
 * throughout, and the index whole after.
 */
async function indexedWhenTimerFires(db: ReturnType<typeof open>, word: string, ids: string[]): Promise<void> {
  expect(db.pending()).toBe(1);
  expect(await db.find(word)).toEqual(ids);
  await vi.advanceTimersByTimeAsync(INDEX_AFTER_MS - 1);
  expect(db.pending()).toBe(1);
  await vi.advanceTimersByTimeAsync(1);
  await settled(() => expect(db.pending()).toBe(0));
  expect(await db.find(word)).toEqual(ids);
  db.integrityCheck();
}

function seeded(dir: string) {
  const db = open(dir);
  db.raw.exec(`
    INSERT INTO users (id, username, display_name, password_hash, at) VALUES ('ann', 'ann', 'Ann', 'h', 1), ('bo', 'bo', 'Bo', 'h', 1);
    INSERT INTO conversations (id, type, unique_key, last_seq, at) VALUES ('c1', 'direct', 'direct:ann:bo', 0, 1);
    INSERT INTO members (conversation_id, user_id, at) VALUES ('c1', 'ann', 1), ('c1', 'bo', 1);
  `);
  return db;
}

describe("the search index behind the send (SQLite)", () => {
  it("finds a message from its commit on, pending or indexed; recalls and deletes of either leave the index true to its rows", async () => {
    const db = seeded(dataDir());
    await db.send(["m1", "hello one"], ["m2", "hello two"], ["m3", "hello three 还在"], ["m4", "hello four"]);
    // Committed, not yet in the index: found all the same, through the pending rows.
    expect(db.pending()).toBe(4);
    expect(db.indexed("hello")).toBe(0);
    expect(await db.find("hello")).toEqual(["m4", "m3", "m2", "m1"]);
    expect(await db.find("还在")).toEqual(["m3"]);

    // Recalled while pending: never indexed.
    await db.storage.write(async (tx) => tx.messages.recall("m2", 2000));
    expect(await db.find("hello")).toEqual(["m4", "m3", "m1"]);

    expect(await db.engine.searchIndexer.run()).toBe(4);
    expect(db.pending()).toBe(0);
    expect(db.indexed("hello")).toBe(3);
    expect(await db.find("hello")).toEqual(["m4", "m3", "m1"]);
    expect(await db.find("还在")).toEqual(["m3"]);
    db.integrityCheck();

    // Recalled once indexed: out of the index at once.
    await db.storage.write(async (tx) => tx.messages.recall("m1", 2001));
    expect(db.indexed("hello")).toBe(2);
    expect(await db.find("hello")).toEqual(["m4", "m3"]);

    db.integrityCheck();
  });

  it("keeps the index whole when a pending row and an indexed row are deleted (no rule deletes messages today; the triggers hold if one does)", async () => {
    const db = seeded(dataDir());
    await db.send(["m1", "hello one"], ["m2", "hello two"]);
    await db.engine.searchIndexer.run();
    await db.send(["m3", "hello three"]);
    db.raw.exec(`DELETE FROM messages WHERE id IN ('m3', 'm1')`);
    expect(db.pending()).toBe(0);
    expect(await db.find("hello")).toEqual(["m2"]);
    db.integrityCheck();
    // Every row has text here, so FTS5 can also check the index against the table (its counts included): a
    // "delete" of a row it never held, as the triggers before migration 14 would have sent, fails this.
    db.raw.exec(`INSERT INTO message_search(message_search, rank) VALUES ('integrity-check', 1)`);
  });

  it("indexes a burst in batches one after another, each after a full one twice as big, and what a quiet server stored once INDEX_AFTER_MS has passed", async () => {
    const db = seeded(dataDir());
    // 256, then 512, then 1,024 (the cap), then the 108 left: one after another, no timer between.
    const burst = Array.from({ length: INDEX_BATCH * 7 + 100 }, (_, i) => [`b${i}`, `burst ${i}`] as [string, string]);
    await db.send(...burst);
    await vi.advanceTimersByTimeAsync(INDEX_AFTER_MS);
    await settled(() => expect(db.engine.searchIndexer.stats).toEqual({ runs: 4, indexed: burst.length }));
    expect(db.pending()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(db.indexed("burst")).toBe(burst.length);

    // One message later: pending until the timer, then indexed, found throughout.
    await db.send(["q1", "quiet hello"]);
    await indexedWhenTimerFires(db, "quiet", ["q1"]);
  });

  it("leaves what is pending at a stop for the next start, which indexes it", async () => {
    const dir = dataDir();
    const first = seeded(dir);
    await first.send(["m1", "left pending"]);
    await first.storage.close();
    const again = open(dir);
    await indexedWhenTimerFires(again, "pending", ["m1"]);
    expect(again.indexed("pending")).toBe(1);
  });

  it("pages through results some of which are pending and some indexed, in the order and with the cursors of the index alone", async () => {
    const db = seeded(dataDir());
    await db.send(...Array.from({ length: 6 }, (_, i) => [`a${i}`, `hello ${i}`] as [string, string]));
    await db.engine.searchIndexer.run();
    await db.send(...Array.from({ length: 5 }, (_, i) => [`b${i}`, `hello again ${i}`] as [string, string]));
    expect(db.pending()).toBe(5);
    const page = (before: { at: number; conversationId: string; seq: number } | null) =>
      db.storage.read(async (r) => (await r.search.find("bo", "hello", ["c1"], before, 3)).map((m) => ({ id: m.id, at: m.at, conversationId: m.conversationId, seq: m.seq })));
    const seen: string[] = [];
    for (let before = null as Parameters<typeof page>[0]; ; ) {
      const rows = await page(before);
      seen.push(...rows.map((r) => r.id));
      if (rows.length < 3) break;
      before = rows.at(-1)!;
    }
    expect(seen).toEqual(["b4", "b3", "b2", "b1", "b0", "a5", "a4", "a3", "a2", "a1", "a0"]);
  });

  it("moves pending rows from the pending table to theirs, never walking every message", () => {
    const db = openDatabase(":memory:");
    cleanups.push(() => void db.close());
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${INDEX_PENDING_SQL}`).all(1) as { detail: string }[]).map((r) => r.detail);
    expect(plan).toEqual([expect.stringMatching(/^SEARCH p USING INTEGER PRIMARY KEY \(rowid<\?\)/), expect.stringMatching(/^SEARCH m USING INTEGER PRIMARY KEY \(rowid=\?\)/)]);
  });

  it("indexes everything pending at once for a bulk load", async () => {
    const db = seeded(dataDir());
    await db.send(["m1", "bulk one"], ["m2", "bulk two"]);
    expect(indexAllPending(db.raw)).toBe(2);
    expect(db.pending()).toBe(0);
    db.integrityCheck();
  });
});

/** The indexer's scheduling alone, on a database of its own, with writes the test answers. */
describe("SearchIndexer's schedule", () => {
  function indexer() {
    const db = openDatabase(":memory:");
    cleanups.push(() => void db.close());
    const writes: { resolve: () => void; reject: (error: unknown) => void }[] = [];
    const errors: unknown[] = [];
    const it = new SearchIndexer(
      db,
      <T>(task: () => T) => new Promise<T>((resolve, reject) => writes.push({ resolve: () => resolve(task()), reject })),
      (error) => errors.push(error),
    );
    cleanups.push(() => it.close());
    return { it, writes, errors };
  }

  it("runs again for a message stored while a run was under way", async () => {
    const { it: indexer_, writes } = indexer();
    indexer_.stored();
    await vi.advanceTimersByTimeAsync(INDEX_AFTER_MS);
    expect(writes).toHaveLength(1);
    indexer_.stored(); // while the write is out: maybe not in its batch
    writes.shift()!.resolve();
    await settled(() => expect(vi.getTimerCount()).toBe(1));
    await vi.advanceTimersByTimeAsync(INDEX_AFTER_MS);
    expect(writes).toHaveLength(1);
  });

  it("after a failure tries again later and later, says so once for the streak, and stops trying once closed", async () => {
    const { it: indexer_, writes, errors } = indexer();
    indexer_.stored();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = Date.now();
      await vi.advanceTimersToNextTimerAsync();
      delays.push(Date.now() - before);
      expect(writes).toHaveLength(1);
      writes.shift()!.reject(new Error("database unavailable"));
      await settled(() => expect(vi.getTimerCount()).toBe(1));
    }
    expect(delays).toEqual([INDEX_AFTER_MS, INDEX_RETRY_MS, INDEX_RETRY_MS * 2, INDEX_RETRY_MS * 4, INDEX_RETRY_MS * 8, INDEX_RETRY_MAX_MS]);
    expect(errors).toHaveLength(1);
    // A success ends the streak: the next failure is reported again, and retried after the first delay.
    await vi.advanceTimersToNextTimerAsync();
    writes.shift()!.resolve();
    await settled(() => expect(indexer_.stats.runs).toBe(1));
    indexer_.stored();
    await vi.advanceTimersByTimeAsync(INDEX_AFTER_MS);
    writes.shift()!.reject(new Error("again"));
    await settled(() => expect(errors).toHaveLength(2));
    indexer_.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
