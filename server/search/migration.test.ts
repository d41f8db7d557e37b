import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { parseInput, searchQuerySchema } from "../../shared/protocol/index.js";
import { migrate as migratePostgres } from "../storage/postgres/migrations.js";
import { Engines, MemoryLog, schemaName, schemaPool } from "../storage/postgres/test-support.js";
import { DB_FILE } from "../storage/sqlite/open.js";
import { MIGRATIONS as SQLITE_MIGRATIONS } from "../storage/sqlite/migrations.js";
import { SqliteEngine } from "../storage/sqlite/engine.js";
import { Storage } from "../storage/storage.js";
import type { Engine } from "../storage/tx.js";
import { testEngine } from "../testing/engines.js";
import { search } from "./search.js";

/**
 * Migration 7 on a database a version-6 server left, with messages in it: the
 * search text of every stored message is filled by the server's own
 * normalisation (Greek final sigma and full-width letters, which SQL lower()
 * under a C locale would leave as they are), system lines and recalled
 * messages stay unfindable, and a recall afterwards leaves no search text.
 * Each engine in its own project run (unit: SQLite, server-on-postgres: PostgreSQL).
 */

const ROWS = `
  INSERT INTO users (id, username, display_name, password_hash, at) VALUES ('ann', 'ann', 'Ann', 'h', 1), ('bo', 'bo', 'Bo', 'h', 1);
  INSERT INTO conversations (id, type, unique_key, last_seq, at) VALUES ('c1', 'direct', 'direct:ann:bo', 5, 1);
  INSERT INTO members (conversation_id, user_id, at) VALUES ('c1', 'ann', 1), ('c1', 'bo', 1);
  INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at) VALUES
    ('m1', 'c1', 1, 'ann', 'k1', 'text', '你好，这个还在吗？', 10),
    ('m2', 'c1', 2, 'bo', 'k2', 'text', 'ＨＥＬＬＯ ΟΔΥΣΣΕΥΣ', 20),
    ('m3', 'c1', 3, 'bo', 'k3', 'system', 'Bo 还在 hello', 30),
    ('m4', 'c1', 4, 'ann', 'k4', 'text', 'hello once more', 40);
  INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at, recalled) VALUES
    ('m5', 'c1', 5, 'ann', 'k5', 'text', '', 50, ${testEngine === "postgres" ? "true" : "1"});
`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A version-6 database holding ROWS, then opened by this server (which runs migration 7); and a raw read of its rows. */
async function upgraded(): Promise<{ engine: Engine; searchText(id: string): Promise<string> }> {
  if (testEngine === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "courier-search-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const raw = new Database(path.join(dir, DB_FILE));
    for (const sql of SQLITE_MIGRATIONS.slice(0, 6)) raw.exec(sql);
    raw.pragma("user_version = 6");
    raw.exec(ROWS);
    const engine = SqliteEngine.open({ dataDir: dir, ringCapacity: 100 });
    cleanups.push(() => engine.close());
    cleanups.push(() => void raw.close());
    expect(raw.pragma("user_version", { simple: true })).toBe(SQLITE_MIGRATIONS.length);
    // The external-content index agrees with the rows it indexes.
    raw.exec(`INSERT INTO message_search(message_search, rank) VALUES ('integrity-check', 1)`);
    return { engine, searchText: async (id) => (raw.prepare(`SELECT search_text FROM messages WHERE id = ?`).get(id) as { search_text: string }).search_text };
  }
  const engines = new Engines();
  cleanups.push(() => engines.cleanup());
  const schema = schemaName();
  engines.schemas.push(schema);
  const pool: pg.Pool = await schemaPool(schema);
  cleanups.push(() => pool.end());
  await migratePostgres(pool, { schema, log: new MemoryLog(), target: 6 });
  await pool.query(ROWS);
  const engine = await engines.open({ schema });
  // The trigram index, built over the filled rows.
  const index = await pool.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'messages_search'`);
  expect(index.rows[0]?.indexdef).toMatch(/USING gin \(search_text .*gin_trgm_ops\)/);
  return {
    engine,
    searchText: async (id) => (await pool.query<{ search_text: string }>(`SELECT search_text FROM messages WHERE id = $1`, [id])).rows[0]!.search_text,
  };
}

describe(`migration 7 (search) on ${testEngine}`, () => {
  it("fills the search text of stored messages with the server's normalisation; recalls afterwards clear it", async () => {
    const { engine, searchText } = await upgraded();
    const storage = new Storage(engine);
    const find = async (q: string) =>
      (await storage.read((r) => search(r, "bo", parseInput(searchQuerySchema, { q })))).results.map((x) => x.message.id);

    expect(await searchText("m2")).toBe("hello οδυσσευς");
    expect(await searchText("m3")).toBe("");
    expect(await searchText("m5")).toBe("");
    expect(await find("还在")).toEqual(["m1"]);
    expect(await find("在")).toEqual(["m1"]);
    expect(await find("hello")).toEqual(["m4", "m2"]);
    expect(await find("οδυσσευς")).toEqual(["m2"]);
    expect(await find("ΣΕΥΣ")).toEqual(["m2"]);

    // A message stored now gets its search text from the insert; a recall takes it away (the trigger), on every path.
    await storage.write(async (tx) => {
      await tx.messages.insert({ id: "m6", conversationId: "c1", seq: 6, senderId: "ann", clientMsgId: "k6", kind: "text", body: "Ｈｅｌｌｏ 还在", at: 60 });
    });
    expect(await searchText("m6")).toBe("hello 还在");
    expect(await find("hello")).toEqual(["m6", "m4", "m2"]);
    await storage.write(async (tx) => {
      await tx.messages.recall("m6", 61);
      await tx.messages.recall("m4", 62);
    });
    expect(await searchText("m6")).toBe("");
    expect(await searchText("m4")).toBe("");
    expect(await find("hello")).toEqual(["m2"]);
    expect(await find("还在")).toEqual(["m1"]);
  });
});
