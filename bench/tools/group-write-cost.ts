// What one message to a big group costs the server's storage, in process (issue 16, fan-out):
// `node --import tsx bench/tools/group-write-cost.ts`, env MEMBERS (500), ROUNDS (8), ENGINE (sqlite | postgres; postgres needs
// TEST_DATABASE_URL, e.g. under `node --import tsx scripts/test.ts -- …`), STATEMENTS=1 to time each SQLite statement.
// Builds a group through the server's own rules (SQLite: a file database in a temp directory, WAL synced as the server does),
// then per round: one member sends (`sendMessage`), every other member's device acks the chat head at once (`ack`, as the
// web app's 100 ms ack timers do after a push), then the sender acks. Prints the median CPU of a send, of one ack, and the
// wall time of the round's acks; STATEMENTS=1 adds the mean / p50 / p99 of each statement. No sockets: what it measures is
// the rules and the engine, what a push costs is in the fanout suite.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createUser } from "../../server/auth/accounts.js";
import { openConversation } from "../../server/conversations/conversations.js";
import { upsertDevice } from "../../server/devices/registry.js";
import { sendMessage } from "../../server/messages/messages.js";
import { SqliteEngine } from "../../server/storage/sqlite/engine.js";
import { Storage } from "../../server/storage/storage.js";
import { ack } from "../../server/sync/log.js";
import { openTestStorage } from "../../server/testing/engines.js";
import { timeStatements } from "../lib/statement-times.js";

const MEMBERS = Number(process.env.MEMBERS ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const WARMUP = 2;
const engine = process.env.ENGINE === "postgres" ? "postgres" : "sqlite";

const statements = process.env.STATEMENTS ? timeStatements() : null;

const dir =
  engine === "sqlite"
    ? mkdtempSync(path.join(tmpdir(), "courier-group-cost-"))
    : null;
const sqlite = dir
  ? new Storage(SqliteEngine.open({ dataDir: dir, ringCapacity: 2000 }))
  : null;
// `dispose` closes the storage (and drops PostgreSQL's throwaway schema).
const { storage, dispose } = sqlite
  ? { storage: sqlite, dispose: () => sqlite.close() }
  : await openTestStorage("postgres");

const users: string[] = [];
const devices: string[] = [];
await storage.write(async (tx) => {
  for (let i = 0; i < MEMBERS; i++) {
    const user = await createUser(tx, {
      username: `member${i}`,
      displayName: `Member ${i}`,
      passwordHash: "x",
      at: 1,
    });
    users.push(user.id);
    devices.push(randomUUID());
    await upsertDevice(tx, {
      userId: user.id,
      deviceId: devices[i]!,
      sessionId: null,
      at: 1,
    });
  }
});
const group = (
  await storage.write((tx) =>
    openConversation(
      tx,
      users[0]!,
      { type: "group", title: "Big group", memberIds: users.slice(1) },
      2,
    ),
  )
).summary.conversationId;

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
const send: number[] = [];
const ackEach: number[] = [];
const acksWall: number[] = [];
for (let round = 0; round < ROUNDS + WARMUP; round++) {
  if (round === WARMUP) statements?.clear();
  const sendStart = process.cpuUsage();
  await storage.write((tx) =>
    sendMessage(
      tx,
      users[0]!,
      {
        clientMsgId: randomUUID(),
        conversationId: group,
        kind: "text",
        body: `Hello everyone, message ${round}`,
      },
      10 + round,
    ),
  );
  const sendCpu = cpuMs(sendStart);
  const heads = await Promise.all(
    users.map((u) => storage.read(async (r) => r.log.heads(u))),
  );
  const ackStart = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    users
      .slice(1)
      .map((u, i) =>
        storage.write((tx) =>
          ack(tx, u, devices[i + 1]!, heads[i + 1]!, 20 + round),
        ),
      ),
  );
  await storage.write((tx) =>
    ack(tx, users[0]!, devices[0]!, heads[0]!, 20 + round),
  );
  if (round >= WARMUP) {
    send.push(sendCpu);
    ackEach.push(cpuMs(ackStart) / MEMBERS);
    acksWall.push(performance.now() - t0);
  }
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.info(
  JSON.stringify({
    engine,
    members: MEMBERS,
    rounds: ROUNDS,
    sendCpuMs: +median(send).toFixed(2),
    ackCpuMsEach: +median(ackEach).toFixed(3),
    acksWallMs: +median(acksWall).toFixed(1),
  }),
);
statements?.print();
await dispose();
if (dir) rmSync(dir, { recursive: true, force: true });
