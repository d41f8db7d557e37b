import { spawn } from "node:child_process";
import { chmodSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { searchNormalize } from "../../../shared/protocol/index.js";
import { campaignStep } from "../../admin/campaigns.js";
import { createUser } from "../../auth/accounts.js";
import { recallMessage } from "../../messages/lifecycle.js";
import { tempDir } from "../../testing/harness.js";
import { Storage } from "../storage.js";
import { SqliteEngine } from "./engine.js";
import { MIGRATIONS } from "./migrations.js";
import { DB_FILE, openDatabase } from "./open.js";
import { createStores } from "./stores.js";

/** What only the embedded engine has: its file, its permissions, its migrations (the rules: ../contract.test.ts). */
const opened: Storage[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

function open(dataDir: string, ringCapacity = 2000): Storage {
  const s = new Storage(SqliteEngine.open({ dataDir, ringCapacity }));
  opened.push(s);
  return s;
}

const newUser = (s: Storage, username: string, at = 1) =>
  s.write((tx) => createUser(tx, { username, displayName: username.charAt(0).toUpperCase() + username.slice(1), passwordHash: "x", at }));
const byUsername = (s: Storage, username: string) => s.read(async (r) => r.users.byUsername(username));
const getUser = (s: Storage, id: string) => s.read(async (r) => r.users.get(id));

describe("the embedded SQLite engine", () => {
  it("migrates a new database to the latest version in WAL mode, and reopening is a no-op", async () => {
    const dir = dataDir();
    const first = open(dir);
    await newUser(first, "alice");
    await first.close();
    const second = open(dir);
    expect(await byUsername(second, "alice")).toMatchObject({ username: "alice", displayName: "Alice" });
    await second.close();

    const raw = new Database(path.join(dir, DB_FILE), { readonly: true });
    expect(raw.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
  });

  it("upgrades a database of an older schema in place: its data stays, campaigns and group roles work", async () => {
    const dir = dataDir();
    // What a server of the schema before campaigns (version 2) left behind.
    const raw = new Database(path.join(dir, DB_FILE));
    for (const sql of MIGRATIONS.slice(0, 2)) raw.exec(sql);
    raw.exec(`
      INSERT INTO users VALUES ('u0', 'alice', 'Alice', 'h', 1), ('u1', 'bob', 'Bob', 'h', 1), ('u2', 'cy', 'Cy', 'h', 1);
      INSERT INTO conversations (id, type, title, at) VALUES ('g', 'group', 'Trip', 1);
      INSERT INTO members (conversation_id, user_id, at) VALUES ('g', 'u2', 1), ('g', 'u1', 1);
      INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at) VALUES ('m1', 'g', 1, 'u2', 'c1', 'text', 'hi', 1);
    `);
    raw.pragma("user_version = 2");
    raw.close();

    const upgraded = open(dir);
    expect(await byUsername(upgraded, "alice")).toMatchObject({ displayName: "Alice" });
    await upgraded.write(async (tx) => tx.campaigns.open({ id: "c1", key: "k", fingerprint: "f", title: "Sale", body: "Now" }, 2));
    const step = await upgraded.writeAppending((tx) => campaignStep(tx, "c1", 10, 2));
    expect(step.result).toMatchObject({ recipients: 3, done: false });
    // Version 4: the group from before roles has its first member (by join time, then id) as admin.
    expect((await upgraded.read(async (r) => r.conversations.members("g"))).map((m) => [m.userId, m.role, m.state])).toEqual([
      ["u1", "admin", "member"],
      ["u2", "member", "member"],
    ]);
    expect(step.appended.map((u) => u.entries.map((e) => e.k))).toEqual([["promo"], ["promo"], ["promo"]]);
    // Version 5: whoever wrote in a conversation has posted there (the consent rule); the others not.
    expect(await upgraded.read(async (r) => [await r.conversations.heardFrom("u1", "u2"), await r.conversations.heardFrom("u2", "u1")])).toEqual([true, false]);
    await upgraded.close();
  });

  it("upgrades a version 5 database: a conv entry carrying a lastMessage gets its place, so a recall of it removes the text", async () => {
    const dir = dataDir();
    const raw = new Database(path.join(dir, DB_FILE));
    for (const sql of MIGRATIONS.slice(0, 5)) raw.exec(sql);
    raw.pragma("user_version = 5");
    const message = { id: "m1", conversationId: "d", seq: 1, senderId: "u1", clientMsgId: "c1", kind: "text", body: "secret from v5", at: 1000 };
    raw.exec(`
      INSERT INTO users VALUES ('u1', 'alice', 'Alice', 'h', 1000), ('u2', 'bob', 'Bob', 'h', 1000);
      INSERT INTO conversations (id, type, title, last_seq, at) VALUES ('d', 'direct', NULL, 1, 1000);
      INSERT INTO members (conversation_id, user_id, at) VALUES ('d', 'u1', 1000), ('d', 'u2', 1000);
      INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at) VALUES ('m1', 'd', 1, 'u1', 'c1', 'text', 'secret from v5', 1000);
      INSERT INTO heads VALUES ('u2', 'chat', 2);
    `);
    raw.prepare(`INSERT INTO entries (user_id, domain, v, k, at, data) VALUES ('u2', 'chat', ?, 'conv', 1000, ?)`).run(1, JSON.stringify({ summary: { conversationId: "d", lastMessage: message } }));
    raw.prepare(`INSERT INTO entries (user_id, domain, v, k, at, data) VALUES ('u2', 'chat', ?, 'conv', 1000, ?)`).run(2, JSON.stringify({ summary: { conversationId: "d", lastMessage: null } }));

    const upgraded = open(dir);
    expect(raw.prepare(`SELECT v, conversation_id, seq FROM entries WHERE user_id = 'u2' ORDER BY v`).raw().all()).toEqual([
      [1, "d", 1],
      [2, null, null],
    ]);
    await upgraded.write((tx) => recallMessage(tx, "u1", "m1", 2000, 60_000));
    expect(raw.prepare(`SELECT data FROM entries WHERE data LIKE '%secret from v5%'`).all()).toEqual([]);
    raw.close();
  });

  it("upgrades a version 12 database: its entries move to a rowid table, every one kept, and versions go on from the head", async () => {
    const dir = dataDir();
    const raw = new Database(path.join(dir, DB_FILE));
    raw.function("search_normalize", (body: unknown) => searchNormalize(String(body)));
    for (const sql of MIGRATIONS.slice(0, 12)) raw.exec(sql);
    raw.pragma("user_version = 12");
    // A big group's summary (every member named) is far larger than a page: the row that made WITHOUT ROWID slow.
    const summary = { summary: { conversationId: "g", members: Array.from({ length: 2000 }, (_, i) => ({ id: `u${i}`, displayName: `Member ${i}` })) } };
    const message = { message: { id: "m1", conversationId: "g", seq: 1, body: "hello" } };
    const insert = raw.prepare(`INSERT INTO entries (user_id, domain, v, k, at, data, conversation_id, seq) VALUES (?, 'chat', ?, ?, 1000, ?, ?, ?)`);
    insert.run("u1", 1, "conv", JSON.stringify(summary), null, null);
    insert.run("u1", 2, "msg", JSON.stringify(message), "g", 1);
    insert.run("u2", 1, "msg", JSON.stringify(message), "g", 1);
    raw.exec(`INSERT INTO heads VALUES ('u1', 'chat', 2), ('u2', 'chat', 1)`);
    raw.close();

    const upgraded = open(dir);
    const range = (userId: string) => upgraded.read(async (r) => r.log.range(userId, "chat", 0, 10));
    expect((await range("u1")).map((e) => [e.v, e.k, e.data])).toEqual([
      [1, "conv", summary],
      [2, "msg", message],
    ]);
    expect((await range("u2")).map((e) => [e.v, e.k])).toEqual([[1, "msg"]]);
    const appended = await upgraded.writeAppending(async (tx) => tx.log.append([{ userId: "u1", d: "chat", k: "read", data: { conversationId: "g", userId: "u2", seq: 1 } }], 2000));
    expect(appended.appended).toEqual([{ userId: "u1", entries: [expect.objectContaining({ v: 3, k: "read" })] }]);
    expect((await range("u1")).map((e) => e.v)).toEqual([1, 2, 3]);
    await upgraded.close();

    const check = new Database(path.join(dir, DB_FILE), { readonly: true });
    const table = check.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'entries'`).get() as { sql: string };
    expect(table.sql).not.toMatch(/WITHOUT ROWID/i);
    // The message index a recall rewrites through is back.
    expect(check.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'entries' ORDER BY name`).pluck().all()).toEqual([
      "entries_message",
      "sqlite_autoindex_entries_1",
    ]);
    check.close();
  });

  it("on a file, commits without waiting for the disk and syncs the WAL itself before answering; in memory there is nothing to sync", async () => {
    const dir = dataDir();
    const engine = SqliteEngine.open({ dataDir: dir, ringCapacity: 2000 });
    const s = new Storage(engine);
    opened.push(s);
    const before = engine.durability.walSyncs;
    await newUser(s, "ada");
    expect(engine.durability).toMatchObject({ synchronous: 1, walSyncs: before + 1 });
    // The checkpoint thread copies the WAL into the database file, off the event loop.
    await vi.waitFor(() => expect(engine.durability.checkpoints).toBeGreaterThan(0), { timeout: 5000 });
    await s.close();
    opened.splice(opened.indexOf(s), 1);
    // What was answered is in the file after the connection is gone.
    const reopened = open(dir);
    expect(await byUsername(reopened, "ada")).toMatchObject({ username: "ada" });

    const memory = SqliteEngine.open({ dataDir: ":memory:", ringCapacity: 2000 });
    const m = new Storage(memory);
    opened.push(m);
    await newUser(m, "bob");
    expect(memory.durability.walSyncs).toBe(0);
  });

  it("prepares no statement whose LIMIT is a bare parameter: SQLite 3.47+ re-prepares such a statement every time it runs", () => {
    // SQLite reads a bound LIMIT as a constant for the plan and marks the statement expired whenever that parameter is bound
    // again, which better-sqlite3 does on every run: a re-parse and re-plan per call (ackedEntries and pull among them).
    const db = openDatabase(":memory:");
    const prepared: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => (prepared.push(sql), prepare(sql))) as typeof db.prepare;
    createStores(db, 2000);
    expect(prepared.length).toBeGreaterThan(50);
    expect(prepared.filter((sql) => /\bLIMIT\s+[?@:$]/i.test(sql))).toEqual([]);
    db.close();
  });

  it("creates its folder and database readable by the server's user only", async () => {
    const dir = path.join(dataDir(), "nested", "data");
    const storage = open(dir);
    await newUser(storage, "alice");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, DB_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, `${DB_FILE}-wal`)).mode & 0o077).toBe(0);
  });

  it("tightens a database an older version left readable by others", async () => {
    const dir = dataDir();
    const raw = new Database(path.join(dir, DB_FILE));
    raw.close();
    chmodSync(path.join(dir, DB_FILE), 0o644);
    open(dir);
    expect(statSync(path.join(dir, DB_FILE)).mode & 0o777).toBe(0o600);
  });

  it("refuses a database from a newer server", () => {
    const dir = dataDir();
    const raw = new Database(path.join(dir, DB_FILE));
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => open(dir)).toThrow(/newer than this server/);
  });

  it("two storages opened one after the other on the same fresh DATA_DIR both work", async () => {
    const dir = dataDir();
    const first = open(dir);
    const second = open(dir);
    const alice = await newUser(first, "alice");
    const bob = await newUser(second, "bob", 2);
    expect(await getUser(second, alice.id)).toMatchObject({ username: "alice" });
    expect(await getUser(first, bob.id)).toMatchObject({ username: "bob" });
  });

  it("re-reads the schema version under the write lock: a migration another process committed meanwhile is not run again", async () => {
    const dir = dataDir();
    const file = path.join(dir, DB_FILE);
    // Another "server" takes the write lock on the fresh file and holds it mid-migration for a moment.
    const other = spawn(
      process.execPath,
      [
        "-e",
        `const Database = require("better-sqlite3");
         const db = new Database(process.env.DB_FILE);
         db.pragma("journal_mode = WAL");
         db.exec("BEGIN IMMEDIATE");
         db.exec(process.env.MIGRATION);
         db.pragma("user_version = 1");
         process.stdout.write("locked\\n");
         setTimeout(() => { db.exec("COMMIT"); db.close(); }, 400);`,
      ],
      { cwd: process.cwd(), env: { ...process.env, DB_FILE: file, MIGRATION: MIGRATIONS[0]! }, stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise<number | null>((resolve) => other.once("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      other.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("locked") && resolve());
      other.once("exit", (code) => reject(new Error(`helper exited early (${code})`)));
    });
    // We read version 0 now, wait for the lock, and must then see version 1 rather than create the tables twice.
    const db = openDatabase(dir);
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
      expect(db.prepare("SELECT count(*) AS n FROM users").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    expect(await exited).toBe(0);
  });
});
