import path from "node:path";
import { Fleet } from "../lib/fleet.js";
import type { FanoutResult, Phase } from "../lib/jobs.js";
import { profileSummary } from "../lib/profile-summary.js";
import { dbCpu, withStore, type BenchStore } from "../lib/database.js";
import type { Metric, Suite, SuiteContext, SuiteResult } from "../lib/report.js";
import { BenchServer, LOAD_SERVER_ENV } from "../lib/server.js";
import { split, summarize } from "../lib/stats.js";
import { cpuOverWindow, profileWindow, quiesce } from "../lib/window.js";

/**
 * 3. Group fan-out: one 500-member group, every member connected over
 * WebSocket (lean load client, acking every 100 ms like the web app), spread
 * over two load workers; one member sends.
 *
 * - single messages, spaced out: per message, the sender's emit → the moment
 *   the last of the other 499 members has the push (epoch ms on both sides:
 *   the sender and the members may sit in different processes); p50 / p99
 *   over messages, after a few warm-up messages, which are reported on their
 *   own (the first messages after the members connect run code neither the
 *   server nor the load workers has run yet: 118 · 88 · 67 ms, then ~40).
 * - sustained: a fixed rate into the group, then the sender's window kept
 *   full (saturation); deliveries/s = member arrivals per second.
 */
const WORKERS = 2;

export const fanout: Suite = (ctx) => withStore(ctx.db, (store) => run(ctx, store));

async function run(ctx: SuiteContext, store: BenchStore): Promise<SuiteResult> {
  const cfg = {
    members: ctx.quick ? 200 : 500,
    warm: { count: ctx.quick ? 2 : 5 },
    spaced: { count: ctx.quick ? 5 : 30, gapMs: ctx.quick ? 300 : 500 },
    rate: { perSecond: 10, durationMs: ctx.quick ? 1500 : 8000 },
    saturate: { window: 4, durationMs: ctx.quick ? 1500 : 8000 },
    drainMs: ctx.quick ? 1500 : 5000,
  };
  const seeder = await store.seeder();
  const users = await seeder.users(cfg.members, "fan");
  const [sender, ...members] = users;
  const groupId = await seeder.group(sender!, members, "Bench group");
  await seeder.close();
  const server = await BenchServer.start({ dataDir: store.dataDir, env: { ...store.env, ...LOAD_SERVER_ENV } });
  const details: Record<string, unknown> = { config: cfg, engine: ctx.db.engine };
  const metrics: Metric[] = [];
  try {
    const fleet = await Fleet.start(
      split(members, WORKERS).map((share, i) => ({ kind: "fanout", url: server.url, conversationId: groupId, members: share, sender: i === 0 ? sender! : null, concurrency: 25 })),
    );
    try {
      const failed = fleet.ready.reduce((n, r) => n + r.failed, 0);
      if (failed > 0) throw new Error(`${failed} members could not connect: ${fleet.ready.find((r) => r.firstError)?.firstError}`);
      details.connectMs = Math.round(Math.max(...fleet.ready.map((r) => r.connectMs)));
      const pids = { server: server.pid, ...ctx.db.cpuTargets(), ...Object.fromEntries(fleet.pids.map((p, i) => [`worker${i}`, p])) };
      const phase = async (base: Omit<Extract<Phase, { kind: "fanout" }>, "startAt" | "kind">, profileFile?: string) => {
        const sendingMs = base.mode === "spaced" ? base.count * base.gapMs : base.durationMs;
        await quiesce(server.pid, 15, ctx.quick ? 3000 : 30_000);
        let cpu: ReturnType<typeof cpuOverWindow> | null = null;
        let profiling: Promise<string | null> | null = null;
        let started = 0;
        const results = await fleet.run<FanoutResult>((_, startAt) => {
          started = startAt;
          cpu ??= cpuOverWindow(pids, startAt, sendingMs);
          if (profileFile) profiling ??= profileWindow(server, startAt, sendingMs, profileFile);
          return { kind: "fanout", ...base, startAt };
        });
        const profileError = await profiling;
        if (profileError) ctx.log(`no profile: ${profileError}`);
        return { ...merge(results, members.length, started, sendingMs), cpu: await cpu! };
      };
      const base = { count: 0, gapMs: 0, rate: 0, window: 1, durationMs: 0, drainMs: cfg.drainMs };
      const cold = await phase({ ...base, mode: "spaced", count: cfg.warm.count, gapMs: cfg.spaced.gapMs });
      ctx.log(`warm-up: last member ${cold.lastEach.join(" · ")} ms`);
      const spaced = await phase({ ...base, mode: "spaced", count: cfg.spaced.count, gapMs: cfg.spaced.gapMs });
      ctx.log(`spaced: last member p50 ${spaced.last.median} p99 ${spaced.last.p99} ms, incomplete ${spaced.incomplete}, repeats ${spaced.repeats}`);
      const rate = await phase({ ...base, mode: "rate", rate: cfg.rate.perSecond, durationMs: cfg.rate.durationMs });
      ctx.log(`rate ${cfg.rate.perSecond}/s: ${rate.deliveriesPerS} deliveries/s, last p99 ${rate.last.p99} ms, cpu ${JSON.stringify(rate.cpu.processes)}`);
      const sat = await phase({ ...base, mode: "saturate", window: cfg.saturate.window, durationMs: cfg.saturate.durationMs });
      ctx.log(`saturate: ${sat.messagesPerS} msg/s, ${sat.deliveriesPerS} deliveries/s, last p99 ${sat.last.p99} ms, cpu ${JSON.stringify(sat.cpu.processes)}`);
      Object.assign(details, { cold, spaced, rate, saturate: sat });
      if (ctx.profileDir) {
        const file = path.join(ctx.profileDir, "fanout-spaced.cpuprofile");
        await phase({ ...base, mode: "spaced", count: cfg.spaced.count, gapMs: cfg.spaced.gapMs }, file);
        details.profile = profileSummary(file);
      }
      metrics.push(
        {
          id: "fanout.single.last.p99",
          label: `one message to a ${cfg.members}-member group, last member has it, p99`,
          unit: "ms",
          value: spaced.last.p99,
          target: { op: "<=", value: 100 },
          note: `p50 ${spaced.last.median} ms over ${spaced.last.n} messages after ${cfg.warm.count} warm-up messages${spaced.incomplete ? `, ${spaced.incomplete} never reached everyone` : ""}${spaced.repeats ? `, ${spaced.repeats} copies re-pushed to members who had them` : ""}`,
        },
        {
          id: "fanout.single.cold",
          label: `the first message after the ${cfg.members - 1} members connect (warm-up, not in the p99), last member has it`,
          unit: "ms",
          value: cold.lastEach[0] ?? null,
          note: `the ${cfg.warm.count} warm-up messages in order: ${cold.lastEach.join(" · ")} ms${cold.incomplete ? `, ${cold.incomplete} never reached everyone` : ""}`,
        },
        {
          id: "fanout.rate.deliveries",
          label: `group traffic at ${cfg.rate.perSecond} msg/s, member deliveries`,
          unit: "deliveries/s",
          value: rate.deliveriesPerS,
          note: `offered ${cfg.rate.perSecond * (cfg.members - 1)}/s; last member p50 ${rate.last.median} / p99 ${rate.last.p99} ms; server ${rate.cpu.processes.server}%${dbCpu(rate.cpu.processes)}`,
        },
        {
          id: "fanout.saturate.deliveries",
          label: "group traffic at saturation, member deliveries",
          unit: "deliveries/s",
          value: sat.deliveriesPerS,
          note: `${sat.messagesPerS} msg/s (${cfg.saturate.window} in flight); last member p99 ${sat.last.p99} ms; server ${sat.cpu.processes.server}%${dbCpu(sat.cpu.processes)}`,
        },
      );
    } finally {
      await fleet.stop();
    }
  } finally {
    await server.stop();
  }
  return { metrics, details };
}

function merge(results: FanoutResult[], receivers: number, startAt: number, sendingMs: number) {
  const sends: Record<string, number> = Object.assign({}, ...results.map((r) => r.sends));
  const arrivals = new Map<string, number[]>();
  let inWindow = 0;
  for (const r of results) {
    for (const [id, times] of Object.entries(r.receipts)) {
      const list = arrivals.get(id) ?? [];
      list.push(...times);
      arrivals.set(id, list);
      for (const t of times) if (t >= startAt && t < startAt + sendingMs) inWindow++;
    }
  }
  const last: number[] = [];
  const median: number[] = [];
  let incomplete = 0;
  for (const [id, sentAt] of Object.entries(sends)) {
    const times = (arrivals.get(id) ?? []).sort((a, b) => a - b);
    if (times.length < receivers) {
      incomplete++;
      continue;
    }
    last.push(times[times.length - 1]! - sentAt);
    median.push(times[Math.floor(times.length / 2)]! - sentAt);
  }
  return {
    messages: Object.keys(sends).length,
    messagesPerS: Math.round((Object.keys(sends).length / sendingMs) * 1000),
    deliveriesPerS: Math.round((inWindow / sendingMs) * 1000),
    incomplete,
    repeats: results.reduce((n, r) => n + r.repeats, 0),
    accepted: results.reduce((n, r) => n + r.accepted, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    lastError: results.find((r) => r.lastError)?.lastError ?? null,
    last: summarize(last),
    /** Each message's last member, in the order sent (ms). */
    lastEach: last.map((ms) => Math.round(ms)),
    medianMember: summarize(median),
  };
}
