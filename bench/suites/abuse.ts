import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { io, type Socket } from "socket.io-client";
import { SOCKET_PATH } from "../../shared/protocol/index.js";
import { withStore, type BenchStore } from "../lib/database.js";
import type { Metric, Suite, SuiteContext, SuiteResult } from "../lib/report.js";
import type { SeededUser } from "../lib/seed.js";
import { BenchServer } from "../lib/server.js";
import { summarize, type Summary } from "../lib/stats.js";
import type { FloodOrder, FloodResult, FloodShape } from "../workers/abuse-flood.js";

/**
 * 7. Abuse (issue 12, finding 1, and its review's D1): one signed-in account
 * floods the server with pulls of 500 entries
 * (`pull {d: "chat", after: 0, limit: 500}`, 2,000 of them) while other users
 * go about their day, in three shapes:
 *
 * - `one socket`: the reported probe, 2,000 emits on one socket;
 * - `50 sockets`: the same 2,000 spread over 50 sockets (5 device ids × 10
 *   sockets, within the connection caps), which a per-socket cap alone lets
 *   run 200 at once;
 * - `http`: 2,000 `GET /api/sync/chat?after=0&limit=500`, 50 at a time.
 *
 * Meanwhile, measured: `GET /api/health` and another user's
 * `GET /api/conversations`, one of each every 20 ms, and another user's
 * send → the recipient's push, one message every 50 ms.
 *
 * Measured twice on the same data: with the limits off (no per-user budget,
 * 1,000 pulls held per socket and per user; reads still take turns on the
 * process, which no setting turns off: before that, 50 sockets' pulls made
 * the others wait 0.6-0.8 s with the limits on) and with the defaults. Each
 * shape floods as an account of its own, so one shape's spent budget does not
 * shield the next. What "refused without slowing other users" looks like: the
 * flood mostly refused, the others' latencies close to the quiet baseline.
 */
const FLOOD = 2000;
const LOG_ENTRIES = 500;
const PULL = { d: "chat", after: 0, limit: 500 };
const DEVICES = 5;
const SOCKETS_PER_DEVICE = 10;
const HTTP_CONCURRENCY = 50;

/** As near no limits as the settings go (MAX_PULLS_IN_FLIGHT tops out at 1,000), for comparison. */
const LIMITS_OFF = { RATE_REQUESTS_PER_USER_PER_MIN: "0", MAX_PULLS_IN_FLIGHT: "1000" };
/** The defaults, except sends (the load client's own messages are not what is measured). */
const LIMITS_ON = { RATE_REQUESTS_PER_USER_PER_MIN: "600", MAX_PULLS_IN_FLIGHT: "4" };

const SHAPES: readonly FloodShape[] = ["one socket", "50 sockets", "http"];
type Shape = FloodShape;
const FLOODER = fileURLToPath(new URL("../workers/abuse-flood.ts", import.meta.url));

export const abuse: Suite = (ctx) => withStore(ctx.db, (store) => run(ctx, store));

interface Others {
  health: Summary;
  conversations: Summary;
  sendToPush: Summary;
}

interface Phase extends Others {
  flood: { served: number; refused: number; durationMs: number };
}

interface Cast {
  sender: SeededUser;
  recipient: SeededUser;
  conversationId: string;
  /** One flooding account per shape, each with a log worth pulling. */
  flooders: Record<Shape, SeededUser>;
}

async function run(ctx: SuiteContext, store: BenchStore): Promise<SuiteResult> {
  const seeder = await store.seeder();
  const [sender, recipient, ...flooders] = await seeder.users(2 + SHAPES.length, "abuse");
  const [conversationId] = await seeder.direct([[sender!, recipient!]]);
  // Every pull of the flood reads 500 entries.
  for (const flooder of flooders) {
    const [chat] = await seeder.direct([[flooder, sender!]]);
    await seeder.messages(Array.from({ length: LOG_ENTRIES }, (_, i) => ({ sender: flooder, conversationId: chat!, body: `entry ${i}` })));
  }
  await seeder.close();
  const cast: Cast = {
    sender: sender!,
    recipient: recipient!,
    conversationId: conversationId!,
    flooders: Object.fromEntries(SHAPES.map((s, i) => [s, flooders[i]!])) as Record<Shape, SeededUser>,
  };

  const phases: Record<string, { quiet: Others } & Partial<Record<Shape, Phase>>> = {};
  for (const [name, env] of [
    ["limits off", LIMITS_OFF],
    ["limits on", LIMITS_ON],
  ] as const) {
    const server = await BenchServer.start({ dataDir: store.dataDir, env: { ...store.env, ...env } });
    try {
      phases[name] = await phase(ctx, name, server.url, cast);
    } finally {
      await server.stop();
    }
  }
  const off = phases["limits off"]!;
  const on = phases["limits on"]!;
  const metrics: Metric[] = [];
  for (const [shape, id] of [
    ["one socket", "abuse.flood"],
    ["50 sockets", "abuse.sockets"],
    ["http", "abuse.http"],
  ] as const) {
    const [a, b] = [on[shape], off[shape]];
    if (!a || !b) continue;
    const what = shape === "http" ? `${FLOOD} HTTP pulls (${HTTP_CONCURRENCY} at a time)` : `${FLOOD} pulls over ${shape}`;
    metrics.push(
      {
        id: `${id}.health.p99`,
        label: `GET /api/health while one account floods ${what}, p99 (limits on)`,
        unit: "ms",
        value: a.health.p99,
        target: { op: "<=", value: 100 },
        note: `quiet ${on.quiet.health.p99} ms; limits off: ${b.health.p99} ms (max ${b.health.max})`,
      },
      {
        id: `${id}.conversations.p99`,
        label: `another user's GET /api/conversations during that flood, p99 (limits on)`,
        unit: "ms",
        value: a.conversations.p99,
        target: { op: "<=", value: 100 },
        note: `quiet ${on.quiet.conversations.p99} ms; limits off: ${b.conversations.p99} ms (max ${b.conversations.max})`,
      },
      {
        id: `${id}.send-push.p99`,
        label: "another user's send → push during that flood, p99 (limits on)",
        unit: "ms",
        value: a.sendToPush.p99,
        target: { op: "<=", value: 100 },
        note: `quiet ${on.quiet.sendToPush.p99} ms; limits off: ${b.sendToPush.p99} ms (max ${b.sendToPush.max})`,
      },
      {
        id: `${id}.served`,
        label: `flood pulls served of ${FLOOD}, ${shape} (limits on)`,
        unit: "pulls",
        value: a.flood.served,
        note: `${a.flood.refused} refused (rate_limited) in ${a.flood.durationMs} ms; limits off: ${b.flood.served} served, ${b.flood.refused} refused in ${b.flood.durationMs} ms`,
      },
    );
  }
  return { metrics, details: { flood: FLOOD, logEntries: LOG_ENTRIES, sockets: DEVICES * SOCKETS_PER_DEVICE, httpConcurrency: HTTP_CONCURRENCY, phases } };
}

function socketOf(url: string, user: SeededUser): Promise<Socket> {
  const socket = io(url, { path: SOCKET_PATH, transports: ["websocket"], auth: { token: user.token, deviceId: user.deviceId, protocol: 1 }, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once("hello", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

type Ack = { ok: boolean; error?: { code: string } };
const emit = (socket: Socket, event: string, payload: unknown) => new Promise<Ack>((resolve) => socket.emit(event, payload, resolve));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Latency of one request, whatever it answers. */
async function timed(request: () => Promise<Response>): Promise<number> {
  const t0 = performance.now();
  const res = await request();
  await res.arrayBuffer();
  return performance.now() - t0;
}

/** The others' latencies, sampled until `until` settles. */
async function sample(url: string, cast: Cast, sending: Socket, receiving: Socket, until: Promise<unknown>): Promise<Others> {
  const health: number[] = [];
  const conversations: number[] = [];
  const sendToPush: number[] = [];
  const sentAt = new Map<string, number>();
  const onPush = (entries: Array<{ k: string; data: { message?: { clientMsgId?: string } } }>) => {
    for (const e of entries) {
      const at = sentAt.get(e.data.message?.clientMsgId ?? "");
      if (at !== undefined) sendToPush.push(performance.now() - at);
    }
  };
  receiving.on("push", onPush);
  let done = false;
  void until.finally(() => (done = true));
  const every = async (ms: number, step: () => Promise<void>) => {
    while (!done) {
      await step();
      await pause(ms);
    }
  };
  const headers = { authorization: `Bearer ${cast.sender.token}` };
  await Promise.all([
    until,
    every(20, async () => void health.push(await timed(() => fetch(`${url}/api/health`)))),
    every(20, async () => void conversations.push(await timed(() => fetch(`${url}/api/conversations`, { headers })))),
    every(50, async () => {
      const clientMsgId = randomUUID();
      sentAt.set(clientMsgId, performance.now());
      await emit(sending, "send", { clientMsgId, conversationId: cast.conversationId, kind: "text", body: "ping" });
    }),
  ]);
  // The last pushes arrive shortly after their acks.
  await pause(200);
  receiving.off("push", onPush);
  return { health: summarize(health), conversations: summarize(conversations), sendToPush: summarize(sendToPush) };
}

/**
 * The flooding account, in a child process (bench/workers/abuse-flood.ts):
 * its answers (up to 2,000 × 500 entries) would otherwise be read on the
 * event loop that times the others. Resolves once its connections are open;
 * `go` fires the flood and resolves with how it was answered.
 */
function flooder(url: string, shape: Shape, account: SeededUser): Promise<{ go: () => Promise<FloodResult> }> {
  const child = fork(FLOODER, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const order: FloodOrder = { url, shape, flooder: account, count: FLOOD, pull: PULL, devices: DEVICES, socketsPerDevice: SOCKETS_PER_DEVICE, httpConcurrency: HTTP_CONCURRENCY };
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`the flooding process exited (${code}) early`));
      child.once("exit", exited);
      child.once("message", (m: T) => {
        child.off("exit", exited);
        resolve(m);
      });
    });
  const ready = next<"ready">();
  child.send(order);
  return ready.then(() => ({
    go: () => {
      const result = next<FloodResult>();
      child.send("go");
      return result;
    },
  }));
}

async function phase(ctx: SuiteContext, name: string, url: string, cast: Cast): Promise<{ quiet: Others } & Partial<Record<Shape, Phase>>> {
  const [sending, receiving] = await Promise.all([socketOf(url, cast.sender), socketOf(url, cast.recipient)]);
  try {
    const quiet = await sample(url, cast, sending, receiving, pause(ctx.quick ? 1000 : 3000));
    const out: { quiet: Others } & Partial<Record<Shape, Phase>> = { quiet };
    for (const shape of SHAPES) {
      const { go } = await flooder(url, shape, cast.flooders[shape]);
      const t0 = performance.now();
      const answers = go();
      // At least a second of sampling, and for as long as the flood lasts.
      const measured = await sample(url, cast, sending, receiving, Promise.all([answers, pause(1000)]));
      const { served, refused } = await answers;
      const p: Phase = { ...measured, flood: { served, refused, durationMs: Math.round(performance.now() - t0) } };
      out[shape] = p;
      ctx.log(
        `${name}, ${shape}: flood ${served} served / ${refused} refused in ${p.flood.durationMs} ms; ` +
          `health p99 ${p.health.p99} ms, conversations p99 ${p.conversations.p99} ms, send → push p99 ${p.sendToPush.p99} ms ` +
          `(quiet p99 ${quiet.health.p99} / ${quiet.conversations.p99} / ${quiet.sendToPush.p99} ms)`,
      );
    }
    return out;
  } finally {
    for (const s of [sending, receiving]) s.disconnect();
  }
}
