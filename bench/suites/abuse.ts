import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { SOCKET_PATH } from "../../shared/protocol/index.js";
import { withStore, type BenchStore } from "../lib/database.js";
import type { Metric, Suite, SuiteContext, SuiteResult } from "../lib/report.js";
import type { SeededUser } from "../lib/seed.js";
import { BenchServer } from "../lib/server.js";
import { summarize, type Summary } from "../lib/stats.js";

/**
 * 7. Abuse (issue 12, finding 1): one signed-in socket floods the server
 * with `pull {d: "chat", after: 0, limit: 500}` (2,000 at once, the
 * reported probe) while other users go about their day:
 *
 * - `GET /api/health` latency, one request every 20 ms during the flood;
 * - another user's send → the recipient's push, one message every 50 ms.
 *
 * Measured twice on the same data: with the socket limits off (as before
 * issue 12: no per-user budget, no cap on pulls in flight) and with the
 * defaults. What "refused without slowing other users" looks like: the
 * flood mostly refused, the others' latencies close to the quiet baseline.
 */
const FLOOD = 2000;
const LOG_ENTRIES = 500;

/** As near the limits before issue 12 as the settings go (MAX_PULLS_IN_FLIGHT tops out at 1,000), for comparison. */
const LIMITS_OFF = { RATE_REQUESTS_PER_USER_PER_MIN: "0", MAX_PULLS_IN_FLIGHT: "1000" };
/** The defaults, except sends (the load client's own messages are not what is measured). */
const LIMITS_ON = { RATE_REQUESTS_PER_USER_PER_MIN: "600", MAX_PULLS_IN_FLIGHT: "4" };

export const abuse: Suite = (ctx) => withStore(ctx.db, (store) => run(ctx, store));

interface Phase {
  health: Summary;
  sendToPush: Summary;
  flood: { served: number; refused: number; durationMs: number };
  quiet: { health: Summary; sendToPush: Summary };
}

async function run(ctx: SuiteContext, store: BenchStore): Promise<SuiteResult> {
  const seeder = await store.seeder();
  const [flooder, sender, recipient] = await seeder.users(3, "abuse");
  const [conversationId] = await seeder.direct([[sender!, recipient!]]);
  // A log worth pulling: every pull of the flood reads 500 entries.
  const [selfChat] = await seeder.direct([[flooder!, sender!]]);
  await seeder.messages(Array.from({ length: LOG_ENTRIES }, (_, i) => ({ sender: flooder!, conversationId: selfChat!, body: `entry ${i}` })));
  await seeder.close();

  const phases: Record<string, Phase> = {};
  for (const [name, env] of [
    ["limits off", LIMITS_OFF],
    ["limits on", LIMITS_ON],
  ] as const) {
    const server = await BenchServer.start({ dataDir: store.dataDir, env: { ...store.env, ...env } });
    try {
      phases[name] = await phase(server.url, flooder!, sender!, recipient!, conversationId!, ctx.quick);
      const p = phases[name];
      ctx.log(
        `${name}: flood ${p.flood.served} served / ${p.flood.refused} refused in ${p.flood.durationMs} ms; health p50 ${p.health.median} p99 ${p.health.p99} ms (quiet p99 ${p.quiet.health.p99}); send → push p50 ${p.sendToPush.median} p99 ${p.sendToPush.p99} ms (quiet p99 ${p.quiet.sendToPush.p99})`,
      );
    } finally {
      await server.stop();
    }
  }
  const off = phases["limits off"]!;
  const on = phases["limits on"]!;
  const metrics: Metric[] = [
    {
      id: "abuse.flood.health.p99",
      label: `GET /api/health while one socket floods ${FLOOD} pulls, p99 (limits on)`,
      unit: "ms",
      value: on.health.p99,
      target: { op: "<=", value: 100 },
      note: `quiet ${on.quiet.health.p99} ms; limits off: ${off.health.p99} ms (max ${off.health.max})`,
    },
    {
      id: "abuse.flood.send-push.p99",
      label: "another user's send → push during the flood, p99 (limits on)",
      unit: "ms",
      value: on.sendToPush.p99,
      target: { op: "<=", value: 100 },
      note: `quiet ${on.quiet.sendToPush.p99} ms; limits off: ${off.sendToPush.p99} ms (max ${off.sendToPush.max})`,
    },
    {
      id: "abuse.flood.served",
      label: `flood pulls served of ${FLOOD} (limits on)`,
      unit: "pulls",
      value: on.flood.served,
      note: `${on.flood.refused} refused (rate_limited) in ${on.flood.durationMs} ms; limits off: ${off.flood.served} served, ${off.flood.refused} refused in ${off.flood.durationMs} ms`,
    },
  ];
  return { metrics, details: { flood: FLOOD, logEntries: LOG_ENTRIES, phases } };
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

/** Health and send → push latencies, sampled until `until` settles. */
async function sample(url: string, sending: Socket, receiving: Socket, conversationId: string, until: Promise<unknown>) {
  const health: number[] = [];
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
  const healthLoop = (async () => {
    while (!done) {
      const t0 = performance.now();
      await fetch(`${url}/api/health`);
      health.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const sendLoop = (async () => {
    while (!done) {
      const clientMsgId = randomUUID();
      sentAt.set(clientMsgId, performance.now());
      await emit(sending, "send", { clientMsgId, conversationId, kind: "text", body: "ping" });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await Promise.all([until, healthLoop, sendLoop]);
  // The last pushes arrive shortly after their acks.
  await new Promise((r) => setTimeout(r, 200));
  receiving.off("push", onPush);
  return { health: summarize(health), sendToPush: summarize(sendToPush) };
}

async function phase(url: string, flooder: SeededUser, sender: SeededUser, recipient: SeededUser, conversationId: string, quick: boolean): Promise<Phase> {
  const [flooding, sending, receiving] = await Promise.all([socketOf(url, flooder), socketOf(url, sender), socketOf(url, recipient)]);
  try {
    const quiet = await sample(url, sending, receiving, conversationId, new Promise((r) => setTimeout(r, quick ? 1000 : 3000)));
    const t0 = performance.now();
    const answers = Promise.all(Array.from({ length: FLOOD }, () => emit(flooding, "pull", { d: "chat", after: 0, limit: 500 })));
    // At least a second of sampling, and for as long as the flood lasts.
    const measured = await sample(url, sending, receiving, conversationId, Promise.all([answers, new Promise((r) => setTimeout(r, 1000))]));
    const all = await answers;
    const served = all.filter((a) => a.ok).length;
    return { ...measured, flood: { served, refused: all.length - served, durationMs: Math.round(performance.now() - t0) }, quiet };
  } finally {
    for (const s of [flooding, sending, receiving]) s.disconnect();
  }
}
