import { rmSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { searchNormalize } from "../../shared/protocol/index.js";
import { DB_FILE } from "../storage/sqlite/open.js";
import { SqliteEngine } from "../storage/sqlite/engine.js";
import { MIGRATIONS } from "../storage/sqlite/migrations.js";
import { Storage } from "../storage/storage.js";
import { testEngine } from "../testing/engines.js";
import { tempDir } from "../testing/harness.js";

/**
 * SQLite can't drop a column's UNIQUE: the offers migration rebuilds `orders`
 * (one order per item that is not cancelled). A database from before keeps
 * its orders, and an item whose order is cancelled can be sold again.
 */
describe.skipIf(testEngine !== "sqlite")("the offers migration on an existing SQLite database", () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const done of cleanup.splice(0)) await done();
  });

  it("keeps the orders it finds, and lets a cancelled order's item sell again", async () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const before = MIGRATIONS.findIndex((sql) => sql.includes("CREATE TABLE offers"));
    expect(before).toBeGreaterThan(0);
    const raw = new Database(path.join(dir, DB_FILE));
    raw.function("search_normalize", { deterministic: true }, (body: unknown) => searchNormalize(String(body)));
    for (const sql of MIGRATIONS.slice(0, before)) raw.exec(sql);
    raw.pragma(`user_version = ${before}`);
    raw.exec(`
      INSERT INTO users (id, username, display_name, password_hash, at) VALUES ('u1', 'alice', 'Alice', 'h', 1000), ('u2', 'bob', 'Bob', 'h', 1000);
      INSERT INTO items VALUES ('i1', 'u2', 'Bike', 5000, 'red', 'sold', 1100);
      INSERT INTO conversations (id, type, item_id, title, unique_key, last_seq, at) VALUES ('c1', 'item', 'i1', NULL, 'item:i1:u1', 0, 1200);
      INSERT INTO orders VALUES ('o1', 'i1', 'c1', 'u1', 'u2', 'bought', 1400);
    `);
    raw.close();

    const storage = new Storage(SqliteEngine.open({ dataDir: dir, ringCapacity: 100 }));
    cleanup.unshift(() => storage.close());
    const second = { id: "o2", itemId: "i1", conversationId: "c1", buyerId: "u1", sellerId: "u2", status: "bought" as const, at: 1600, priceCents: 5000 };
    // Still one order going per item.
    await expect(storage.write(async (tx) => tx.orders.insert(second))).rejects.toThrow(/UNIQUE/);
    await storage.write(async (tx) => tx.orders.cancel("o1", "u2", "It broke", 1500));
    await storage.write(async (tx) => tx.orders.insert(second));
    await storage.read(async (r) => {
      expect(await r.orders.get("o1")).toEqual({
        id: "o1",
        itemId: "i1",
        conversationId: "c1",
        buyerId: "u1",
        sellerId: "u2",
        status: "cancelled",
        at: 1500,
        cancelledBy: "u2",
        reason: "It broke",
      });
      expect(await r.orders.ofConversation("c1")).toMatchObject({ id: "o2", priceCents: 5000 });
    });
  });
});
