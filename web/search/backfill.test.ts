import "fake-indexeddb/auto";
import { Dexie } from "dexie";
import { afterEach, describe, expect, it } from "vitest";
import { CourierDb, dbNameFor } from "../db/database.js";
import type { StoredMessage } from "../db/records.js";
import { convEntry, entry, message, msgEntry, openTestStore, summary } from "../db/test-fixtures.js";
import { MemoryStorage } from "../lib/memory-storage.js";
import { backfillSearchIndex, DEFER_TERMS_ABOVE, putMessages, useSearchIndexing } from "./backfill.js";
import type { IndexedMessage } from "./local-index.js";
import { searchLocal } from "./local-search.js";

const opened: CourierDb[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.delete();
});

/** A user's database as the app before the search index left it (schema 2), holding `rows`. */
async function schema2With(rows: StoredMessage[]): Promise<string> {
  const userId = `test-${crypto.randomUUID()}`;
  const old = new Dexie(dbNameFor(userId));
  old.version(1).stores({ messages: "id, [conversationId+seq], clientMsgId", conversations: "conversationId", versions: "d", outbox: "clientMsgId, conversationId, createdAt" });
  old.version(2).stores({ drafts: "conversationId" });
  await old.open();
  await old.table("messages").bulkPut(rows);
  old.close();
  return userId;
}

function openAt3(userId: string): CourierDb {
  const db = new CourierDb(userId);
  opened.push(db);
  return db;
}

const indexed = async (db: CourierDb) => ((await db.messages.toArray()) as Partial<IndexedMessage>[]).filter((m) => m.terms !== undefined).map((m) => m.id!);
const found = async (db: CourierDb, q: string) => (await searchLocal(db, q, { limit: 100 })).messages.map((m) => m.id);
const now = () => Promise.resolve();

// Ten messages, seq order = time order: c1-m10 is the newest.
const history = Array.from({ length: 10 }, (_, i) => message("c1", i + 1, { body: `还在吗 ${i + 1}`, at: 1_000 + i }));

describe("indexing the rows stored before the search index", () => {
  it("opens at schema 3 without computing terms; the backfill then indexes every row, newest first", async () => {
    const userId = await schema2With([...history, message("c1", 11, { body: "gone", recalled: true, at: 500 })]);
    const db = openAt3(userId);
    await db.open();
    // At the current schema (3 added the index; later versions add tables, not terms).
    expect(db.verno).toBeGreaterThanOrEqual(3);
    expect(await indexed(db)).toEqual([]);
    expect(await found(db, "还在")).toEqual([]);

    // What is indexed as each batch starts.
    const seen: string[][] = [];
    const running: boolean[] = [];
    const done = await backfillSearchIndex(db, {
      batch: 4,
      storage: new MemoryStorage(),
      yieldToPage: async () => {
        seen.push((await indexed(db)).sort());
        running.push(useSearchIndexing.getState().running[userId] ?? false);
      },
    });
    expect(done).toBe(true);
    expect(seen[1]).toEqual(["c1-m10", "c1-m7", "c1-m8", "c1-m9"]);
    expect(seen[2]).toHaveLength(8);
    expect(running.every(Boolean)).toBe(true);
    expect(useSearchIndexing.getState().running[userId]).toBe(false);
    expect(await found(db, "还在")).toEqual(history.map((m) => m.id).reverse());
    expect(((await db.messages.get("c1-m11")) as IndexedMessage).terms).toEqual([]);
  });

  it("stops when the database closes and resumes where it was after a reload", async () => {
    const userId = await schema2With(history);
    const storage = new MemoryStorage();
    const first = openAt3(userId);
    await first.open();
    let batches = 0;
    // Signed out after the first batch.
    const stopped = await backfillSearchIndex(first, { batch: 4, storage, yieldToPage: async () => void (batches++ === 1 && first.close()) });
    expect(stopped).toBe(false);
    const again = openAt3(userId);
    await again.open();
    expect(await indexed(again)).toHaveLength(4);
    const indexedPerBatch: number[] = [];
    expect(await backfillSearchIndex(again, { batch: 4, storage, yieldToPage: now, onBatch: (n) => indexedPerBatch.push(n) })).toBe(true);
    // From where it was (the row at the marker's time is read again), not from the newest: restarting would index 0, 0, 4, 2.
    expect(indexedPerBatch).toEqual([3, 3]);
    expect((await indexed(again)).sort()).toEqual(history.map((m) => m.id).sort());
    // Done is remembered: another open reads nothing.
    const later: number[] = [];
    expect(await backfillSearchIndex(again, { storage, yieldToPage: now, onBatch: (n) => later.push(n) })).toBe(true);
    expect(later).toEqual([]);
  });

  it("indexes every row of many sharing one time, and leaves a row sync wrote meanwhile as sync wrote it", async () => {
    const same = Array.from({ length: 9 }, (_, i) => message("c2", i + 1, { body: `同 ${i}`, at: 5_000 }));
    const userId = await schema2With([...history, ...same]);
    const db = openAt3(userId);
    await db.open();
    await db.messages.put(message("c1", 1, { body: "新的", at: 1_000 }));
    expect(await backfillSearchIndex(db, { batch: 4, storage: new MemoryStorage(), yieldToPage: now })).toBe(true);
    expect(await indexed(db)).toHaveLength(19);
    expect(await found(db, "同")).toHaveLength(9);
    expect(await found(db, "新的")).toEqual(["c1-m1"]);
  });
});

describe("a catch-up page is indexed after it is stored", () => {
  async function store() {
    const opened_ = await openTestStore();
    opened.push(opened_.db);
    return opened_;
  }
  // More message rows than one apply indexes at once: a pulled page.
  const page = Array.from({ length: DEFER_TERMS_ABOVE + 10 }, (_, i) => message("c1", i + 1, { body: `错过的 ${i + 1}`, at: 10_000 + i }));

  it("stores a large pulled page without terms; the backfill then makes every message of it searchable", async () => {
    const { db, store: sync } = await store();
    await sync.apply("chat", [convEntry(summary("c1")), ...page.map((m) => msgEntry(m))], page.length + 1);
    // Stored and shown, not searchable yet.
    expect(await db.messages.count()).toBe(page.length);
    expect(await indexed(db)).toEqual([]);
    expect(await found(db, "错过")).toEqual([]);

    expect(await backfillSearchIndex(db, { storage: new MemoryStorage(), yieldToPage: now })).toBe(true);
    expect(await found(db, "错过")).toEqual(page.map((m) => m.id).reverse());
  });

  it("indexes a live message in the same transaction as it is stored", async () => {
    const { db, store: sync } = await store();
    const live = message("c1", 1, { body: "刚到的消息" });
    await sync.apply("chat", [convEntry(summary("c1")), msgEntry(live)], 2);
    expect(await found(db, "刚到")).toEqual([live.id]);
  });

  it("takes a recalled message's terms away in a large page at once, and never indexes its text later", async () => {
    const { db, store: sync } = await store();
    const secret = message("c1", 100, { body: "秘密的话", at: 9_000 });
    await sync.apply("chat", [convEntry(summary("c1")), msgEntry(secret)], 2);
    expect(await found(db, "秘密")).toEqual([secret.id]);

    const recall = entry("recall", { conversationId: "c1", messageId: secret.id, seq: secret.seq, by: secret.senderId, at: secret.at + 5 }, 3);
    await sync.apply("chat", [...page.map((m, i) => msgEntry(m, 4 + i)), recall], 4 + page.length);
    expect(await found(db, "秘密")).toEqual([]);
    expect(((await db.messages.get(secret.id)) as IndexedMessage).terms).toEqual([]);

    expect(await backfillSearchIndex(db, { storage: new MemoryStorage(), yieldToPage: now })).toBe(true);
    expect(await found(db, "秘密")).toEqual([]);
    expect(await found(db, "错过")).toHaveLength(page.length);
  });

  it("moves a finished backfill's marker up to the rows a page stored unindexed, so the next run indexes them", async () => {
    const { db } = await store();
    const storage = new MemoryStorage();
    const older = Array.from({ length: 10 }, (_, i) => message("c2", i + 1, { body: `还在吗 ${i + 1}`, at: 1_000 + i }));
    await db.messages.bulkPut(older);
    expect(await backfillSearchIndex(db, { storage, yieldToPage: now })).toBe(true);
    await db.transaction("rw", db.messages, () => putMessages(db, page, storage));
    expect(await found(db, "错过")).toEqual([]);
    // Done before the page; resumes from the page's newest row, not from "done".
    expect(await backfillSearchIndex(db, { storage, yieldToPage: now })).toBe(true);
    expect(await found(db, "错过")).toHaveLength(page.length);
    expect(await found(db, "还在")).toHaveLength(older.length);
  });
});
