import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CourierDb } from "../db/database.js";
import { message } from "../db/test-fixtures.js";
import { indexKey, TERM_END, type IndexedMessage } from "./local-index.js";
import { searchLocal } from "./local-search.js";

let db: CourierDb;

beforeEach(async () => {
  db = new CourierDb(`test-${crypto.randomUUID()}`);
  await db.open();
});

afterEach(async () => {
  await db.delete();
});

/** Ids of the rows holding `term` in the index. */
const holding = (term: string) => db.messages.where("terms").startsWith(term + TERM_END).primaryKeys();
const found = async (q: string, conversationId?: string) => (await searchLocal(db, q, { conversationId, limit: 50 })).messages.map((m) => m.id);

describe("the index middleware", () => {
  it("indexes rows written with put, bulkPut and add", async () => {
    await db.messages.put(message("c1", 1, { body: "你好，这个还在吗？" }));
    await db.messages.bulkPut([message("c1", 2, { body: "hello there" }), message("c1", 3, { body: "好的" })]);
    await db.messages.add(message("c1", 4, { body: "还有别的吗" }));
    expect(await holding("还在")).toEqual(["c1-m1"]);
    expect(await holding("hello")).toEqual(["c1-m2"]);
    // A character is a key alone only where it starts no bigram (its run's last); the bigrams it starts find it too.
    expect(await holding("好")).toEqual(["c1-m1"]); // "你好，…": 好 ends its run
    expect(await holding("好的")).toEqual(["c1-m3"]);
    expect((await found("好")).sort()).toEqual(["c1-m1", "c1-m3"]);
    expect(await holding("还有")).toEqual(["c1-m4"]);
  });

  it("keys each term with the message's time, so the index alone orders its messages", async () => {
    await db.messages.put(message("c1", 1, { body: "还在", at: 1_700_000_000_123 }));
    const row = (await db.messages.get("c1-m1")) as IndexedMessage;
    expect(row.terms).toContain(indexKey("还在", 1_700_000_000_123));
    expect(row.terms.every((key) => key.endsWith(indexKey("", 1_700_000_000_123)))).toBe(true);
    expect(indexKey("a", 9) < indexKey("a", 10)).toBe(true);
  });

  it("leaves the caller's object as it was", async () => {
    const m = message("c1", 1, { body: "hello" });
    await db.messages.put(m);
    expect(m).not.toHaveProperty("terms");
  });

  it("re-indexes on update and modify", async () => {
    await db.messages.bulkPut([message("c1", 1, { body: "old words" }), message("c1", 2, { body: "old too" })]);
    await db.messages.update("c1-m1", { body: "new words" });
    expect(await holding("old")).toEqual(["c1-m2"]);
    expect(await holding("new")).toEqual(["c1-m1"]);
    await db.messages.where("conversationId").equals("c1").modify({ body: "旧的" });
    expect(await holding("old")).toEqual([]);
    expect((await holding("旧的")).sort()).toEqual(["c1-m1", "c1-m2"]);
    await db.messages.toCollection().modify((m) => void (m.body = "函数"));
    expect((await holding("函数")).sort()).toEqual(["c1-m1", "c1-m2"]);
  });

  it("indexes nothing of recalled, hidden, system, unknown or empty messages", async () => {
    await db.messages.bulkPut([
      message("c1", 1, { body: "secret", recalled: true }),
      message("c1", 2, { body: "secret", hidden: true }),
      message("c1", 3, { body: "secret", kind: "system" }),
      { ...message("c1", 4), kind: "poll", body: "secret" },
      message("c1", 5, { body: "" }),
    ]);
    const rows = (await db.messages.toArray()) as IndexedMessage[];
    expect(rows.map((r) => r.terms)).toEqual([[], [], [], [], []]);
  });

  it("drops a recalled message's terms in the recall's own transaction", async () => {
    await db.messages.put(message("c1", 1, { body: "还在吗" }));
    expect(await holding("还在")).toEqual(["c1-m1"]);
    await db.transaction("rw", db.messages, async () => {
      await db.messages.update("c1-m1", { recalled: true, body: "" });
      expect(await holding("还在")).toEqual([]);
    });
    // The same write undone undoes both: the row and its terms change together.
    await db
      .transaction("rw", db.messages, async () => {
        await db.messages.put(message("c1", 2, { body: "还在" }));
        expect(await holding("还在")).toEqual(["c1-m2"]);
        await db.messages.update("c1-m2", { hidden: true, body: "" });
        expect(await holding("还在")).toEqual([]);
        throw new Error("abort");
      })
      .catch(() => undefined);
    expect(await db.messages.get("c1-m2")).toBeUndefined();
    expect(await holding("还在")).toEqual([]);
  });

  it("hides a message deleted for me: its row stays, its terms go", async () => {
    await db.messages.put(message("c1", 1, { body: "hello" }));
    expect(await found("hello")).toEqual(["c1-m1"]);
    await db.messages.update("c1-m1", { hidden: true, body: "" });
    expect(await found("hello")).toEqual([]);
  });
});

describe("local search", () => {
  beforeEach(async () => {
    await db.messages.bulkPut([
      message("c1", 1, { body: "你好，这个还在吗？", at: 1_000 }),
      message("c1", 2, { body: "在的，还有两个", at: 2_000 }),
      message("c2", 1, { body: "Hello WORLD, help!", at: 3_000 }),
      message("c2", 2, { body: "ＨＥＬＬＯ again 👍🏽", at: 4_000 }),
      message("c2", 3, { body: "还 在", at: 5_000 }),
    ]);
  });

  it("finds a two-character Chinese word, and only where the two are together", async () => {
    expect(await found("还在")).toEqual(["c1-m1"]);
  });

  it("finds one Chinese character, newest first", async () => {
    expect(await found("在")).toEqual(["c2-m3", "c1-m2", "c1-m1"]);
  });

  it("finds Latin words by their beginning, after NFKC and lower case", async () => {
    expect(await found("hel")).toEqual(["c2-m2", "c2-m1"]);
    expect(await found("ＨＥＬＬＯ")).toEqual(["c2-m2", "c2-m1"]);
    expect(await found("help")).toEqual(["c2-m1"]);
  });

  it("keeps substring semantics: every word is there but not the phrase", async () => {
    expect(await found("world hello")).toEqual([]);
    expect(await found("hello world")).toEqual(["c2-m1"]);
    expect(await found("还在吗？")).toEqual(["c1-m1"]);
  });

  it("finds emoji", async () => {
    expect(await found("👍")).toEqual(["c2-m2"]);
  });

  it("searches one conversation when asked", async () => {
    expect(await found("在", "c1")).toEqual(["c1-m2", "c1-m1"]);
  });

  it("says when there are more than the limit", async () => {
    const page = await searchLocal(db, "在", { limit: 2 });
    expect(page.messages.map((m) => m.id)).toEqual(["c2-m3", "c1-m2"]);
    expect(page.more).toBe(true);
  });

  it("gives the newest page of many matches, whatever order they were stored in", async () => {
    // A conversation's seq and time go together (the server assigns both in one write); stored shuffled.
    const many = Array.from({ length: 450 }, (_, i) => (i * 7919) % 450).map((n) => message("c3", n + 1, { body: `好 ${n}`, at: 10_000 + n }));
    await db.messages.bulkPut(many);
    const page = await searchLocal(db, "好", { conversationId: "c3", limit: 3 });
    expect(page.messages.map((m) => m.at)).toEqual([10_449, 10_448, 10_447]);
    expect(page.more).toBe(true);
  });

  it("finds one common character, newest first, in all conversations and in one, by walking the messages by time", async () => {
    // 900 messages, every other one holding 好 in a bigram, never alone: the walk, not the candidate rows.
    await db.messages.bulkPut(Array.from({ length: 900 }, (_, i) => message(`c${5 + (i % 3)}`, i + 1, { body: i % 2 ? `你好吗 ${i}` : `在 ${i}`, at: 20_000 + i })));
    const all = await searchLocal(db, "好", { limit: 3 });
    expect(all.messages.map((m) => m.at)).toEqual([20_899, 20_897, 20_895]);
    expect(all.more).toBe(true);
    const one = await searchLocal(db, "好", { conversationId: "c6", limit: 2 });
    expect(one.messages.map((m) => m.at)).toEqual([20_895, 20_889]);
    expect((await searchLocal(db, "好", { limit: 1000 })).messages).toHaveLength(451);
  });

  it("reads every match once when many share one time, across reads of 100", async () => {
    await db.messages.bulkPut(Array.from({ length: 250 }, (_, i) => message("c4", i + 1, { body: `同 ${i}`, at: 7_000 })));
    const all = await searchLocal(db, "同", { limit: 300 });
    expect(all.messages).toHaveLength(250);
    expect(new Set(all.messages.map((m) => m.id)).size).toBe(250);
    expect(all.more).toBe(false);
  });

  it("finds nothing for a query it cannot index, or a blank one", async () => {
    expect(await found("？")).toEqual([]);
    expect(await found("   ")).toEqual([]);
  });
});
