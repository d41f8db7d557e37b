// What 1:1 messages cost the server's storage, in process, grouped as at saturation (issue 16):
// `node --import tsx bench/tools/direct-write-cost.ts`, env PAIRS (16), PER_PAIR (4), ROUNDS (30), PRAGMAS, STATEMENTS=1 to time each
// statement. PAIRS=1 PER_PAIR=1: one message at a time, each write its own commit (a low rate).
// Builds PAIRS direct conversations through the server's own rules (SQLite: a file database in a temp directory, WAL synced
// as the server does), then per round, four times: PER_PAIR messages from each pair at once (`sendMessage`, one group commit, each
// write in its savepoint), then every device acks its head at once (`ack`). Prints the median CPU of the process per
// message (its send and both acks). PRAGMAS, e.g. "temp_store=FILE;temp_store=MEMORY", alternates the connection's settings
// round by round (the first rounds of each are warm-up), so the variants share the machine's moods; without it one variant
// runs as the server opens the database. No sockets: socket.io's share is in the throughput suite.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Database from "better-sqlite3";
import { createUser } from "../../server/auth/accounts.js";
import { openConversation } from "../../server/conversations/conversations.js";
import { upsertDevice } from "../../server/devices/registry.js";
import { sendMessage } from "../../server/messages/messages.js";
import { SqliteEngine } from "../../server/storage/sqlite/engine.js";
import { Storage } from "../../server/storage/storage.js";
import { ack } from "../../server/sync/log.js";
import { timeStatements } from "../lib/statement-times.js";

const PAIRS = Number(process.env.PAIRS ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const PER_PAIR = Number(process.env.PER_PAIR ?? 4);
const BURSTS = 4;
const variants = (process.env.PRAGMAS ?? "as opened").split(";").map((v) => v.trim());

const statements = process.env.STATEMENTS ? timeStatements() : null;

const dir = mkdtempSync(path.join(tmpdir(), "courier-direct-cost-"));
const engine = SqliteEngine.open({ dataDir: dir, ringCapacity: 2000 });
// The engine's connection, for the variants' pragmas only.
const db = (engine as unknown as { db: Database.Database }).db;
const storage = new Storage(engine);

const users: string[] = [];
const devices: string[] = [];
await storage.write(async (tx) => {
  for (let i = 0; i < PAIRS * 2; i++) {
    const user = await createUser(tx, { username: `user${i}`, displayName: `User ${i}`, passwordHash: "x", at: 1 });
    users.push(user.id);
    devices.push(randomUUID());
    await upsertDevice(tx, { userId: user.id, deviceId: devices[i]!, sessionId: null, at: 1 });
  }
});
const conversations: string[] = [];
for (let p = 0; p < PAIRS; p++) {
  const opened = await storage.write((tx) => openConversation(tx, users[2 * p]!, { type: "direct", peerId: users[2 * p + 1]! }, 2));
  conversations.push(opened.summary.conversationId);
}

const cpu = new Map<string, number[]>(variants.map((v) => [v, []]));
let at = 10;
for (let round = 0; round < ROUNDS; round++) {
  const variant = variants[round % variants.length]!;
  if (variant !== "as opened") db.pragma(variant);
  const start = process.cpuUsage();
  for (let burst = 0; burst < BURSTS; burst++) {
    at++;
    await Promise.all(
      Array.from({ length: PAIRS * PER_PAIR }, (_, i) => {
        const pair = i % PAIRS;
        const from = users[2 * pair + (Math.floor(i / PAIRS) % 2)]!;
        const body = `Hello there, is it still for sale? ${round}-${i}`;
        return storage.write((tx) => sendMessage(tx, from, { clientMsgId: randomUUID(), conversationId: conversations[pair]!, kind: "text", body }, at));
      }),
    );
    const heads = await Promise.all(users.map((u) => storage.read(async (r) => r.log.heads(u))));
    await Promise.all(users.map((u, i) => storage.write((tx) => ack(tx, u, devices[i]!, heads[i]!, at))));
  }
  const used = process.cpuUsage(start);
  if (round === variants.length * 2 - 1) statements?.clear();
  if (round >= variants.length * 2) cpu.get(variant)!.push((used.user + used.system) / (BURSTS * PAIRS * PER_PAIR));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [variant, xs] of cpu) {
  console.info(JSON.stringify({ variant, pairs: PAIRS, rounds: xs.length, cpuUsPerMessage: Math.round(median(xs)), each: xs.map(Math.round) }));
}
statements?.print(16);
await storage.close();
rmSync(dir, { recursive: true, force: true });
