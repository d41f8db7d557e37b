import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "./sqlite/migrations.js";
import { DB_FILE, openDatabase } from "./sqlite/open.js";
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

  it("upgrades a database of the previous schema in place: its data stays, campaigns work", async () => {
    const dir = dataDir();
    const first = open(dir);
    await first.createUser({ username: "alice", displayName: "Alice", passwordHash: "x", at: 1 });
    await first.close();
    // What a server of the schema before campaigns left behind.
    const raw = new Database(path.join(dir, DB_FILE));
    raw.exec("DROP TABLE campaigns");
    raw.pragma(`user_version = ${MIGRATIONS.length - 1}`);
    raw.close();

    const upgraded = open(dir);
    expect(await upgraded.findUserByUsername("alice")).toMatchObject({ displayName: "Alice" });
    await upgraded.openCampaign({ id: "c1", key: "k", fingerprint: "f", title: "Sale", body: "Now" }, 2);
    const step = await upgraded.campaignStep("c1", 10, 2);
    expect(step.campaign).toMatchObject({ recipients: 1, done: false });
    expect(step.appended.map((u) => u.entries.map((e) => e.k))).toEqual([["promo"]]);
    await upgraded.close();
  });

  it("a campaign stepped by two runners at once reaches each user who existed when it was created exactly once", async () => {
    const storage = open(dataDir());
    const users = [];
    for (let i = 0; i < 7; i++) users.push(await storage.createUser({ username: `u${i}`, displayName: `U${i}`, passwordHash: "x", at: 1 }));
    await storage.openCampaign({ id: "c1", key: null, fingerprint: "f", title: "Sale", body: "Now" }, 5);
    const late = await storage.createUser({ username: "late", displayName: "Late", passwordHash: "x", at: 6 });
    // Two requests for one campaign, one user per step, their steps interleaved by the group commit.
    const runner = async () => {
      const reached: string[] = [];
      for (;;) {
        const step = await storage.campaignStep("c1", 1, 7);
        reached.push(...step.appended.map((u) => u.userId));
        if (step.campaign.done) return { reached, recipients: step.campaign.recipients };
      }
    };
    const [a, b] = await Promise.all([runner(), runner()]);
    expect(a.reached.length).toBeGreaterThan(0);
    expect(b.reached.length).toBeGreaterThan(0);
    expect([...a.reached, ...b.reached].sort()).toEqual(users.map((u) => u.id).sort());
    expect(Math.max(a.recipients, b.recipients)).toBe(7);
    for (const u of users) expect((await storage.pull(u.id, "marketing", 0, 10)).entries).toHaveLength(1);
    expect((await storage.pull(late.id, "marketing", 0, 10)).entries).toHaveLength(0);
    await storage.close();
  });

  it("creates its folder and database readable by the server's user only", async () => {
    const dir = path.join(dataDir(), "nested", "data");
    const storage = open(dir);
    await storage.createUser({ username: "alice", displayName: "Alice", passwordHash: "x", at: 1 });
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

  it("reads a device's acked versions, and nothing for another user's device", async () => {
    const s = open(":memory:");
    const a = await s.createUser({ username: "alice", displayName: "Alice", passwordHash: "x", at: 1 });
    const b = await s.createUser({ username: "bob", displayName: "Bob", passwordHash: "x", at: 1 });
    const device = randomUUID();
    await s.upsertDevice({ userId: a.id, deviceId: device, sessionId: null, at: 1 });
    expect(await s.deviceAcks(a.id, device)).toEqual({ chat: 0, system: 0, marketing: 0 });
    await s.appendEntries([1, 2, 3].map(() => ({ userId: a.id, d: "system" as const, k: "notice", data: {} })), 2);
    await s.ack(a.id, device, { system: 2 }, 3);
    expect(await s.deviceAcks(a.id, device)).toEqual({ chat: 0, system: 2, marketing: 0 });
    expect(await s.deviceAcks(b.id, device)).toEqual({ chat: 0, system: 0, marketing: 0 });
    expect(await s.deviceAcks(a.id, randomUUID())).toEqual({ chat: 0, system: 0, marketing: 0 });
  });

  it("rolls back everything an operation did when it fails", async () => {
    const s = open(":memory:");
    const a = await s.createUser({ username: "alice", displayName: "Alice", passwordHash: "x", at: 1 });
    await expect(s.openConversation(a.id, { type: "group", title: "G", memberIds: ["ghost"] }, 1)).rejects.toMatchObject({ code: "not_found" });
    expect(await s.listSummaries(a.id)).toEqual([]);
    expect(await s.heads(a.id)).toEqual({ chat: 0, system: 0, marketing: 0 });
  });

  it("two storages opened one after the other on the same fresh DATA_DIR both work", async () => {
    const dir = dataDir();
    const first = open(dir);
    const second = open(dir);
    const alice = await first.createUser({ username: "alice", displayName: "Alice", passwordHash: "x", at: 1 });
    const bob = await second.createUser({ username: "bob", displayName: "Bob", passwordHash: "x", at: 2 });
    expect(await second.getUser(alice.id)).toMatchObject({ username: "alice" });
    expect(await first.getUser(bob.id)).toMatchObject({ username: "bob" });
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

  it("sends a delivered receipt only to the senders of the newly delivered messages, not to every member", async () => {
    const s = open(":memory:");
    const users = [];
    for (let i = 0; i < 50; i++) users.push(await s.createUser({ username: `member${i}`, displayName: `M${i}`, passwordHash: "x", at: 1 }));
    const [x, ...others] = users;
    const { summary } = await s.openConversation(x!.id, { type: "group", title: "Fifty", memberIds: others.map((u) => u.id) }, 2);
    const { message } = await s.sendMessage(x!.id, { clientMsgId: randomUUID(), conversationId: summary.conversationId, kind: "text", body: "hi all" }, 3);
    const headsBefore = new Map<string, number>();
    for (const u of users) headsBefore.set(u.id, (await s.heads(u.id)).chat);

    let appendedEntries = 0;
    for (const u of others) {
      const deviceId = randomUUID();
      await s.upsertDevice({ userId: u.id, deviceId, sessionId: null, at: 4 });
      const { appended } = await s.ack(u.id, deviceId, { chat: headsBefore.get(u.id)! }, 5);
      appendedEntries += appended.reduce((n, a) => n + a.entries.length, 0);
    }

    const toX = (await s.pull(x!.id, "chat", headsBefore.get(x!.id)!, 500)).entries;
    expect(toX.length).toBeLessThanOrEqual(49);
    expect(toX.every((e) => e.k === "delivered")).toBe(true);
    expect(new Set(toX.map((e) => (e.data as { userId: string }).userId))).toEqual(new Set(others.map((u) => u.id)));
    expect(toX.every((e) => (e.data as { seq: number }).seq === message.seq)).toBe(true);
    for (const u of others) expect((await s.heads(u.id)).chat).toBe(headsBefore.get(u.id));
    expect(appendedEntries).toBe(toX.length);

    // In a group with several senders each learns it, once, and acking again adds nothing.
    const [y, z] = others;
    const zDevice = randomUUID();
    await s.upsertDevice({ userId: z!.id, deviceId: zDevice, sessionId: null, at: 6 });
    const yHead = (await s.heads(y!.id)).chat;
    const xHead = (await s.heads(x!.id)).chat;
    await s.sendMessage(y!.id, { clientMsgId: randomUUID(), conversationId: summary.conversationId, kind: "text", body: "me too" }, 7);
    await s.sendMessage(x!.id, { clientMsgId: randomUUID(), conversationId: summary.conversationId, kind: "text", body: "and me" }, 8);
    const zHead = (await s.heads(z!.id)).chat;
    await s.ack(z!.id, zDevice, { chat: zHead }, 9);
    await s.ack(z!.id, zDevice, { chat: zHead }, 10);
    const delivered = async (userId: string, after: number) =>
      (await s.pull(userId, "chat", after, 500)).entries.filter((e) => e.k === "delivered").map((e) => e.data);
    expect(await delivered(y!.id, yHead)).toEqual([{ conversationId: summary.conversationId, userId: z!.id, seq: 3 }]);
    expect(await delivered(x!.id, xHead)).toEqual([{ conversationId: summary.conversationId, userId: z!.id, seq: 3 }]);
  });
});
