import "fake-indexeddb/auto";
import { Dexie } from "dexie";
import { afterEach, describe, expect, it } from "vitest";
import { CourierDb, dbNameFor } from "./database.js";
import { message, summary } from "./test-fixtures.js";

const opened: CourierDb[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.delete();
});

/** Every table as schema 6 declared it (the last schema with a `clientMsgId` index on messages). */
const SCHEMA_6 = {
  messages: "id, [conversationId+seq], clientMsgId, *terms, at",
  conversations: "conversationId",
  versions: "d",
  outbox: "clientMsgId, conversationId, createdAt",
  drafts: "conversationId",
  commands: "id",
  offers: "id, conversationId",
  outboxPhotos: "id, clientMsgId",
  safety: "key",
};

describe("schema 7", () => {
  it("upgrades a schema 6 database keeping every row, without the messages' clientMsgId index", async () => {
    const userId = `test-${crypto.randomUUID()}`;
    const old = new Dexie(dbNameFor(userId));
    old.version(6).stores(SCHEMA_6);
    await old.open();
    const rows = [
      { ...message("c1", 1, { body: "indexed before", at: 1_001 }), terms: ["indexed\u0000", "before\u0000"] },
      message("c1", 2, { body: "not indexed yet", at: 1_002 }),
      { ...message("c1", 3, { body: "", recalled: true, at: 1_003 }), terms: [] },
      message("c2", 1, { body: "another conversation", at: 1_004 }),
    ];
    await old.table("messages").bulkPut(rows);
    await old.table("conversations").bulkPut([summary("c1"), summary("c2")]);
    await old.table("versions").put({ d: "chat", v: 42 });
    await old.table("outbox").put({ clientMsgId: "k1", conversationId: "c1", body: "typed before the upgrade", createdAt: 1, status: "sending" });
    await old.table("drafts").put({ conversationId: "c2", text: "half a sentence" });
    old.close();

    const db = new CourierDb(userId);
    opened.push(db);
    await db.open();
    expect(db.verno).toBe(7);
    const names = db.backendDB().transaction("messages").objectStore("messages").indexNames;
    expect([...names].sort()).toEqual(["[conversationId+seq]", "at", "terms"]);

    // Every row as it was, terms (or their absence) included.
    expect(await db.messages.orderBy("id").toArray()).toEqual([...rows].sort((a, b) => a.id.localeCompare(b.id)));
    expect((await db.conversations.toArray()).map((s) => s.conversationId).sort()).toEqual(["c1", "c2"]);
    expect(await db.versions.get("chat")).toEqual({ d: "chat", v: 42 });
    expect((await db.outbox.toArray()).map((r) => r.body)).toEqual(["typed before the upgrade"]);
    expect(await db.drafts.get("c2")).toEqual({ conversationId: "c2", text: "half a sentence" });
    // The indexes that stay still answer.
    const c1 = await db.messages.where("[conversationId+seq]").between(["c1", Dexie.minKey], ["c1", Dexie.maxKey]).toArray();
    expect(c1.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect((await db.messages.orderBy("at").reverse().first())?.id).toBe("c2-m1");
  });
});
