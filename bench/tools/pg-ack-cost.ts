// What a 1:1 send, its ack and a 500-member group's acks cost on PostgreSQL, in process (issue 16, PGACK):
// `COURIER_NO_INSTALL=1 node --import tsx scripts/test.ts -- node --import tsx bench/tools/pg-ack-cost.ts` (scripts/test.ts
// provisions a throwaway PostgreSQL and sets TEST_DATABASE_URL), env PAIRS (8), MESSAGES (400), MEMBERS (500), ROUNDS (6).
// Builds users through the server's own rules, then
// 1. counts, one operation at a time: statements, round trips (a statement sent while its connection had nothing else
//    unanswered) and socket writes (the flushes of pg's sockets) of a 1:1 send (`sendMessage`) and of the recipient's ack
//    (`ack`, as the web app's after a push);
// 2. runs PAIRS pairs at once, MESSAGES messages in all, each send followed by its recipient's ack: CPU per message of this
//    process and of PostgreSQL (the postmaster and its backends, from /proc), messages per second;
// 3. per round, one message to a MEMBERS-member group, then every other member's device acks at once: the wall time of the
//    acks, and CPU per ack, this process's and PostgreSQL's.
// No sockets to clients: what it measures is the rules and the engine.
import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import net from "node:net";
import pg from "pg";
import { createUser } from "../../server/auth/accounts.js";
import { openConversation } from "../../server/conversations/conversations.js";
import { upsertDevice } from "../../server/devices/registry.js";
import { sendMessage } from "../../server/messages/messages.js";
import { ack } from "../../server/sync/log.js";
import { openTestStorage } from "../../server/testing/engines.js";

const PAIRS = Number(process.env.PAIRS ?? 8);
const MESSAGES = Number(process.env.MESSAGES ?? 400);
const MEMBERS = Number(process.env.MEMBERS ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const WARMUP = 2;

const counts = { statements: 0, roundTrips: 0, writes: 0 };
type PgInternals = { _activeQuery: unknown; _sentQueryQueue?: unknown[]; _queryQueue: unknown[] };
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const self = this as unknown as PgInternals;
  if (!self._activeQuery && (self._sentQueryQueue?.length ?? 0) === 0 && self._queryQueue.length === 0) counts.roundTrips++;
  counts.statements++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;
// Every flush of a socket (one write or writev system call); this process's only sockets are pg's.
const socket = net.Socket.prototype as unknown as Record<"_write" | "_writev", (...a: unknown[]) => unknown>;
for (const method of ["_write", "_writev"] as const) {
  const original = socket[method];
  socket[method] = function (this: net.Socket, ...args: unknown[]) {
    counts.writes++;
    return original.apply(this, args);
  };
}

const { storage, dispose } = await openTestStorage("postgres");

function postgresCpuMs(): number {
  const port = new URL(process.env.TEST_DATABASE_URL!).port || "5432";
  let postmaster = 0;
  for (const dir of readdirSync("/tmp").filter((n) => n.startsWith("courier-pg-"))) {
    for (const sub of ["", ...readdirSync(`/tmp/${dir}`).map((n) => `/${n}`)]) {
      try {
        const lines = readFileSync(`/tmp/${dir}${sub}/postmaster.pid`, "utf8").split("\n");
        if (lines[3] === port) postmaster = Number(lines[0]);
      } catch {
        // not a data directory
      }
    }
  }
  if (!postmaster) return NaN;
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pid) === postmaster || Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks * 10; // CLK_TCK 100
}
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function makeUsers(n: number, prefix: string): Promise<{ users: string[]; devices: string[] }> {
  const users: string[] = [];
  const devices: string[] = [];
  await storage.write(async (tx) => {
    for (let i = 0; i < n; i++) {
      const user = await createUser(tx, { username: `${prefix}${i}`, displayName: `${prefix} ${i}`, passwordHash: "x", at: 1 });
      users.push(user.id);
      devices.push(randomUUID());
      await upsertDevice(tx, { userId: user.id, deviceId: devices[i]!, sessionId: null, at: 1 });
    }
  });
  return { users, devices };
}

let at = 10;
const send = (from: string, conversationId: string) =>
  storage.write((tx) => sendMessage(tx, from, { clientMsgId: randomUUID(), conversationId, kind: "text", body: `message ${at}` }, ++at));
const ackHead = async (user: string, device: string) => {
  const heads = await storage.read(async (r) => r.log.heads(user));
  await storage.write((tx) => ack(tx, user, device, heads, ++at));
};

// 1. Counted, one at a time.
const { users, devices } = await makeUsers(PAIRS * 2, "user");
const conversations: string[] = [];
for (let p = 0; p < PAIRS; p++) {
  const opened = await storage.write((tx) => openConversation(tx, users[2 * p]!, { type: "direct", peerId: users[2 * p + 1]! }, 2));
  conversations.push(opened.summary.conversationId);
}
const per = { send: { statements: 0, roundTrips: 0, writes: 0 }, ack: { statements: 0, roundTrips: 0, writes: 0 } };
const COUNTED = 50;
for (let i = 0; i < COUNTED + 5; i++) {
  const s0 = { ...counts };
  await send(users[0]!, conversations[0]!);
  const s1 = { ...counts };
  const heads = await storage.read(async (r) => r.log.heads(users[1]!));
  const s2 = { ...counts };
  await storage.write((tx) => ack(tx, users[1]!, devices[1]!, heads, ++at));
  const s3 = { ...counts };
  if (i < 5) continue; // each connection prepares its statements once
  for (const k of ["statements", "roundTrips", "writes"] as const) {
    per.send[k] += (s1[k] - s0[k]) / COUNTED;
    per.ack[k] += (s3[k] - s2[k]) / COUNTED;
  }
}

// 2. Pairs at once: CPU per message (its send and the recipient's ack).
async function direct(total: number) {
  let next = 0;
  await Promise.all(
    conversations.map(async (c, p) => {
      while (next++ < total) {
        await send(users[2 * p]!, c);
        await ackHead(users[2 * p + 1]!, devices[2 * p + 1]!);
      }
    }),
  );
}
await direct(100);
const c0 = process.cpuUsage();
const pg0 = postgresCpuMs();
const t0 = performance.now();
await direct(MESSAGES);
const directWall = performance.now() - t0;
const directCpu = cpuMs(c0);
const directPg = postgresCpuMs() - pg0;

// 3. The group: one message, then every other member's ack at once.
const group = await makeUsers(MEMBERS, "member");
const groupId = (
  await storage.write((tx) =>
    openConversation(tx, group.users[0]!, { type: "group", title: "Big group", memberIds: group.users.slice(1) }, 2),
  )
).summary.conversationId;
const acksWall: number[] = [];
const ackCpu: number[] = [];
const ackPg: number[] = [];
const ackRoundTrips: number[] = [];
for (let round = 0; round < ROUNDS + WARMUP; round++) {
  await send(group.users[0]!, groupId);
  const heads = await Promise.all(group.users.map((u) => storage.read(async (r) => r.log.heads(u))));
  const start = process.cpuUsage();
  const p0 = postgresCpuMs();
  const r0 = counts.roundTrips;
  const t = performance.now();
  await Promise.all(group.users.slice(1).map((u, i) => storage.write((tx) => ack(tx, u, group.devices[i + 1]!, heads[i + 1]!, ++at))));
  if (round < WARMUP) continue;
  acksWall.push(performance.now() - t);
  ackCpu.push(cpuMs(start) / (MEMBERS - 1));
  ackPg.push((postgresCpuMs() - p0) / (MEMBERS - 1));
  ackRoundTrips.push((counts.roundTrips - r0) / (MEMBERS - 1));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;
console.info(
  JSON.stringify({
    perSend: { statements: round2(per.send.statements), roundTrips: round2(per.send.roundTrips), socketWrites: round2(per.send.writes) },
    perAck: { statements: round2(per.ack.statements), roundTrips: round2(per.ack.roundTrips), socketWrites: round2(per.ack.writes) },
    direct: {
      msgPerS: Math.round((MESSAGES / directWall) * 1000),
      courierCpuMsPerMsg: round2(directCpu / MESSAGES),
      postgresCpuMsPerMsg: round2(directPg / MESSAGES),
    },
    group: {
      members: MEMBERS,
      acksWallMs: Math.round(median(acksWall)),
      courierCpuMsPerAck: round2(median(ackCpu)),
      postgresCpuMsPerAck: round2(median(ackPg)),
      roundTripsPerAck: round2(median(ackRoundTrips)),
    },
  }),
);
await dispose();
