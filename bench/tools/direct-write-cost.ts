// What 1:1 messages cost the server's storage, in process, grouped as at saturation (issue 16):
// `node --import tsx bench/tools/direct-write-cost.ts`, env PAIRS (16), PER_PAIR (4), ROUNDS (30), PRAGMAS, STATEMENTS=1 to time each
// statement. PAIRS=1 PER_PAIR=1: one message at a time, each write its own commit (a low rate).
// Builds PAIRS direct conversations through the server's own rules (SQLite: a file database in a temp directory, WAL synced
// as the server does), then per round, four times: PER_PAIR messages from each pair at once (`sendMessage`, one group commit, each
// write in its savepoint), then every device acks its head at once (`ack`). Prints the median CPU of the process per
// message (its send and both acks), and the write system calls it made per message (/proc/self/io: WAL frames are two
// each). STORED=N first stores N messages over the pairs (a database that has grown). ENGINE=postgres: on the PostgreSQL
// of TEST_DATABASE_URL (run it under scripts/test.ts, as pg-ack-cost.ts), a CHECKPOINT after STORED, and the WAL's bytes
// per message (the whole cluster's, so nothing else may write to it; full-page images after the CHECKPOINT included:
// median and mean of the rounds) in place of write calls. The write calls are all of this process's (its checkpointer
// thread's too; it logs nothing). PRAGMAS (SQLite), e.g. "temp_store=FILE;temp_store=MEMORY", alternates the
// connection's settings round by round (the first rounds of each are warm-up), so the variants share the machine's
// moods; without it one variant runs as the server opens the database. No sockets: socket.io's share is in the throughput suite.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Database from "better-sqlite3";
import pg from "pg";
import { createUser } from "../../server/auth/accounts.js";
import { openConversation } from "../../server/conversations/conversations.js";
import { upsertDevice } from "../../server/devices/registry.js";
import { sendMessage } from "../../server/messages/messages.js";
import { SqliteEngine } from "../../server/storage/sqlite/engine.js";
import { Storage } from "../../server/storage/storage.js";
import { ack } from "../../server/sync/log.js";
import { openTestStorage, testDatabaseUrl } from "../../server/testing/engines.js";
import { writeCalls } from "../lib/proc.js";
import { timeStatements } from "../lib/statement-times.js";

const PAIRS = Number(process.env.PAIRS ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const PER_PAIR = Number(process.env.PER_PAIR ?? 4);
const STORED = Number(process.env.STORED ?? 0);
const BURSTS = 4;
const variants = (process.env.PRAGMAS ?? "as opened").split(";").map((v) => v.trim());

const statements = process.env.STATEMENTS ? timeStatements() : null;

const onPostgres = process.env.ENGINE === "postgres";
if (onPostgres && variants.length > 1) throw new Error("PRAGMAS are SQLite's");
const dir = onPostgres ? null : mkdtempSync(path.join(tmpdir(), "courier-direct-cost-"));
const onPg = onPostgres ? await openTestStorage("postgres") : null;
const engine = dir === null ? null : SqliteEngine.open({ dataDir: dir, ringCapacity: 2000 });
// The engine's connection, for the variants' pragmas only.
const db = engine ? (engine as unknown as { db: Database.Database }).db : null;
const storage = onPg?.storage ?? new Storage(engine!);
// PostgreSQL's WAL so far, in bytes: its insert position (exact; pg_stat_wal lags, backends report to it at most once a second).
const admin = onPostgres ? new pg.Client({ connectionString: testDatabaseUrl() }) : null;
await admin?.connect();
const wal = async () => {
  const { rows } = await admin!.query<{ bytes: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text AS bytes");
  return Number(rows[0]!.bytes);
};

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

let at = 10;
for (let stored = 0; stored < STORED; stored += 1000) {
  at++;
  await Promise.all(
    Array.from({ length: Math.min(1000, STORED - stored) }, (_, i) => {
      const pair = i % PAIRS;
      const body = `Stored before the rounds, ${stored + i}`;
      return storage.write((tx) => sendMessage(tx, users[2 * pair]!, { clientMsgId: randomUUID(), conversationId: conversations[pair]!, kind: "text", body }, at));
    }),
  );
}

await admin?.query("CHECKPOINT");

const cpu = new Map<string, number[]>(variants.map((v) => [v, []]));
const writes = new Map<string, number[]>(variants.map((v) => [v, []]));
const walBytes: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const variant = variants[round % variants.length]!;
  if (variant !== "as opened") db!.pragma(variant);
  const start = process.cpuUsage();
  const written = writeCalls(process.pid) ?? 0;
  const walBefore = admin ? await wal() : null;
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
  if (round >= variants.length * 2) {
    cpu.get(variant)!.push((used.user + used.system) / (BURSTS * PAIRS * PER_PAIR));
    writes.get(variant)!.push(((writeCalls(process.pid) ?? 0) - written) / (BURSTS * PAIRS * PER_PAIR));
    if (walBefore) {
      const walAfter = await wal();
      walBytes.push((walAfter - walBefore) / (BURSTS * PAIRS * PER_PAIR));
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [variant, xs] of cpu) {
  const perMessage = onPostgres
    ? { walBytesPerMessage: Math.round(median(walBytes)), walBytesPerMessageAll: Math.round(walBytes.reduce((a, b) => a + b, 0) / walBytes.length) }
    : { writeCallsPerMessage: Math.round(median(writes.get(variant)!) * 10) / 10 };
  console.info(JSON.stringify({ variant, engine: onPostgres ? "postgres" : "sqlite", pairs: PAIRS, stored: STORED, rounds: xs.length, cpuUsPerMessage: Math.round(median(xs)), ...perMessage, each: xs.map(Math.round) }));
}
statements?.print(16);
await admin?.end();
await (onPg ? onPg.dispose() : storage.close());
if (dir !== null) rmSync(dir, { recursive: true, force: true });
