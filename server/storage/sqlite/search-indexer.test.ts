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
import { INDEX_AFTER_MS, INDEX_BATCH } from "./search-indexer.js";

/**
 * The search index written behind the send (migration 14): a message is found
 * from its commit on, whether its row is still pending or already indexed;
 * the index holds exactly the rows that are not pending, intact (FTS5's
 * integrity-check, and its rowids against the table's); recalls and deletes of
 * pending and indexed rows alike leave no searchable text.
 */

const cleanups: (() => Promise<void> | void)[] = [];
// The indexer's timer moves only when a test moves it.
beforeEach(() => void vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

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

  it("indexes a burst in full batches one after another, and what a quiet server stored once INDEX_AFTER_MS has passed", async () => {
    const db = seeded(dataDir());
    const burst = Array.from({ length: INDEX_BATCH * 2 + 10 }, (_, i) => [`b${i}`, `burst ${i}`] as [string, string]);
    await db.send(...burst);
    await vi.advanceTimersByTimeAsync(INDEX_AFTER_MS);
    await vi.waitFor(() => expect(db.pending()).toBe(0));
    expect(db.engine.searchIndexer.stats).toEqual({ runs: 3, indexed: burst.length });
    expect(db.indexed("burst")).toBe(burst.length);

    // One message later: pending until the timer, then indexed, found throughout.
    await db.send(["q1", "quiet hello"]);
    expect(db.pending()).toBe(1);
    expect(await db.find("quiet")).toEqual(["q1"]);
    await vi.advanceTimersByTimeAsync(INDEX_AFTER_MS - 1);
    expect(db.pending()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(db.pending()).toBe(0));
    expect(await db.find("quiet")).toEqual(["q1"]);
    db.integrityCheck();
  });

  it("leaves what is pending at a stop for the next start, which indexes it", async () => {
    const dir = dataDir();
    const first = seeded(dir);
    await first.send(["m1", "left pending"]);
    await first.storage.close();
    const again = open(dir);
    expect(again.pending()).toBe(1);
    expect(await again.find("pending")).toEqual(["m1"]);
    await vi.advanceTimersByTimeAsync(INDEX_AFTER_MS);
    await vi.waitFor(() => expect(again.pending()).toBe(0));
    expect(again.indexed("pending")).toBe(1);
    again.integrityCheck();
  });
});
