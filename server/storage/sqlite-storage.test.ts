import { rmSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "./sqlite/migrations.js";
import { DB_FILE } from "./sqlite/open.js";
import { SqliteStorage } from "./sqlite-storage.js";
import { tempDir } from "../testing/harness.js";

const opened: SqliteStorage[] = [];
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

function open(dataDir: string, ringCapacity = 2000): SqliteStorage {
  const s = SqliteStorage.open({ dataDir, ringCapacity });
  opened.push(s);
  return s;
}

describe("sqlite storage", () => {
  it("migrates a new database to the latest version in WAL mode, and reopening is a no-op", async () => {
    const dir = dataDir();
    const first = open(dir);
    await first.createUser({ username: "alice", displayName: "Alice", passwordHash: "x", at: 1 });
    await first.close();
    const second = open(dir);
    expect(await second.findUserByUsername("alice")).toMatchObject({ username: "alice", displayName: "Alice" });
    await second.close();

    const raw = new Database(path.join(dir, DB_FILE), { readonly: true });
    expect(raw.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
  });

  it("refuses a database from a newer server", () => {
    const dir = dataDir();
    const raw = new Database(path.join(dir, DB_FILE));
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => open(dir)).toThrow(/newer than this server/);
  });

  it("appends contiguous versions per (user, domain) and trims the ring without breaking pulls", async () => {
    const s = open(":memory:", 3);
    const user = await s.createUser({ username: "alice", displayName: "Alice", passwordHash: "x", at: 1 });
    for (let i = 0; i < 10; i++) await s.appendEntries([{ userId: user.id, d: "marketing", k: "promo", data: { i } }], i);
    await s.appendEntries([{ userId: user.id, d: "system", k: "notice", data: {} }], 99);
    expect(await s.heads(user.id)).toEqual({ chat: 0, system: 1, marketing: 10 });
    const pulled = await s.pull(user.id, "marketing", 7, 100);
    expect(pulled.entries.map((e) => [e.v, (e.data as { i: number }).i])).toEqual([[8, 7], [9, 8], [10, 9]]);
    expect((await s.pull(user.id, "marketing", 6, 100)).reset).toBe(true);
  });

  it("rolls back everything an operation did when it fails", async () => {
    const s = open(":memory:");
    const a = await s.createUser({ username: "alice", displayName: "Alice", passwordHash: "x", at: 1 });
    await expect(s.openConversation(a.id, { type: "group", title: "G", memberIds: ["ghost"] }, 1)).rejects.toMatchObject({ code: "not_found" });
    expect(await s.listSummaries(a.id)).toEqual([]);
    expect(await s.heads(a.id)).toEqual({ chat: 0, system: 0, marketing: 0 });
  });
});
