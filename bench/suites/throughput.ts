import path from "node:path";
import { Fleet, startRelay } from "../lib/fleet.js";
import type { ChatPair, ChatResult, Phase } from "../lib/jobs.js";
import { profileSummary } from "../lib/profile-summary.js";
import { dbCpu, withStore, type BenchStore } from "../lib/database.js";
import type { Metric, Suite, SuiteContext, SuiteResult } from "../lib/report.js";
import type { SeededUser } from "../lib/seed.js";
import { BenchServer } from "../lib/server.js";
import { concat, median, split, summarize } from "../lib/stats.js";
import { cpuOverWindow, profileWindow, quiesce } from "../lib/window.js";

/**
 * 1. Throughput, 1:1 chat over WebSocket, Courier against a bare socket.io
 * relay in the same run.
 *
 * N pairs, each in its own direct conversation; A sends, B receives. The
 * clients are spread over two load-worker processes (bench/lib/fleet.ts),
 * each pair inside one worker so send and arrival are timed on one clock.
 *
 * - saturation: every A keeps `window` sends in flight (closed loop). Over the
 *   measurement window: accepted/s = sends whose acknowledgement came back
 *   (Courier acknowledges after the commit, SQLite's or PostgreSQL's, so
 *   accepted = persisted);
 *   delivered/s = messages that arrived at B. Latency: A's emit → B's push.
 * - steady 1,000 msg/s (`--steady-rate=N` for another rate): sends issued
 *   open-loop on a fixed schedule (not waiting for acknowledgements); same
 *   latency.
 * Courier's clients ack what they receive every 100 ms as the web app does
 * (which makes the server record delivery and append `delivered` receipts
 * for the sender); the relay has nothing to ack.
 */
const WORKERS = 2;

export const throughput: Suite = (ctx) => withStore(ctx.db, (store) => run(ctx, store));

async function run(ctx: SuiteContext, store: BenchStore): Promise<SuiteResult> {
  const cfg = {
    pairs: ctx.quick ? 16 : 32,
    window: 8,
    runs: ctx.quick ? 1 : 3,
    warmupMs: ctx.quick ? 500 : 1000,
    saturationMs: ctx.quick ? 1500 : 5000,
    steadyMs: ctx.quick ? 1500 : 8000,
    rate: steadyRate(ctx.option("steady-rate")),
    drainMs: ctx.quick ? 1500 : 5000,
    bodyBytes: 80,
  };
  const seeder = await store.seeder();
  const users = await seeder.users(cfg.pairs * 2, "tp");
  const couples = Array.from({ length: cfg.pairs }, (_, i) => [users[2 * i]!, users[2 * i + 1]!] as [SeededUser, SeededUser]);
  const conversations = await seeder.direct(couples);
  await seeder.close();
  const pairs: ChatPair[] = couples.map(([a, b], i) => ({ a, b, conversationId: conversations[i]! }));

  let courier: TargetResult;
  const server = await BenchServer.start({ dataDir: store.dataDir, env: store.env });
  try {
    courier = await measure(ctx, cfg, "courier", server.url, server.pid, pairs, server);
    courier.persisted = await persistedCheck(server.url, pairs, courier.acceptedTotal);
  } finally {
    await server.stop();
  }
  const relayProc = await startRelay();
  let relay: TargetResult;
  try {
    relay = await measure(ctx, cfg, "relay", relayProc.url, relayProc.pid, pairs, null);
  } finally {
    await relayProc.stop();
  }
  return report(cfg, ctx.db.engine, courier, relay);
}

function steadyRate(text: string | undefined): number {
  const rate = Number(text ?? 1000);
  if (!Number.isFinite(rate) || rate <= 0) throw new Error(`--steady-rate must be a positive number of messages per second, not ${text}`);
  return rate;
}

interface RunFigures {
  acceptedPerS: number;
  deliveredPerS: number;
  latency: ReturnType<typeof summarize>;
  lost: number;
  errors: number;
  lastError: string | null;
  scheduleLagP99: number;
  cpu: Awaited<ReturnType<typeof cpuOverWindow>>;
}

interface TargetResult {
  connectMs: number;
  saturation: RunFigures[];
  saturationLatency: ReturnType<typeof summarize>;
  steady: RunFigures[];
  steadyLatency: ReturnType<typeof summarize>;
  acceptedTotal: number;
  persisted?: { recipientsEntries: number; accepted: number; ok: boolean };
  profiles?: Record<string, unknown>;
}

type Cfg = { pairs: number; window: number; runs: number; warmupMs: number; saturationMs: number; steadyMs: number; rate: number; drainMs: number; bodyBytes: number };

async function measure(
  ctx: SuiteContext,
  cfg: Cfg,
  target: "courier" | "relay",
  url: string,
  pid: number,
  pairs: ChatPair[],
  server: BenchServer | null,
): Promise<TargetResult> {
  const fleet = await Fleet.start(split(pairs, WORKERS).map((share) => ({ kind: "chat", url, target, client: "raw", pairs: share, concurrency: 16 })));
  const failed = fleet.ready.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) {
    await fleet.stop();
    throw new Error(`${failed} pairs could not connect to the ${target}: ${fleet.ready.find((r) => r.firstError)?.firstError}`);
  }
  const pids = { [target]: pid, ...(target === "courier" ? ctx.db.cpuTargets() : {}), ...Object.fromEntries(fleet.pids.map((p, i) => [`worker${i}`, p])) };
  let acceptedTotal = 0;
  const one = async (mode: "saturate" | "rate", profileFile?: string): Promise<{ figures: RunFigures; samples: Float64Array }> => {
    const durationMs = mode === "saturate" ? cfg.saturationMs : cfg.steadyMs;
    await quiesce(pid, 15, ctx.quick ? 3000 : 30_000);
    let cpu: Promise<RunFigures["cpu"]> | null = null;
    let profiling: Promise<string | null> | null = null;
    const results = await fleet.run<ChatResult>((_, startAt): Phase => {
      cpu ??= cpuOverWindow(pids, startAt + cfg.warmupMs, durationMs);
      if (profileFile && server) profiling ??= profileWindow(server, startAt + cfg.warmupMs, durationMs, profileFile);
      return {
        kind: "chat",
        mode,
        rate: cfg.rate / WORKERS,
        window: cfg.window,
        startAt,
        warmupMs: cfg.warmupMs,
        durationMs,
        drainMs: cfg.drainMs,
        bodyBytes: cfg.bodyBytes,
      };
    });
    const profileError = await profiling;
    if (profileError) ctx.log(`no profile: ${profileError}`);
    const seconds = durationMs / 1000;
    const samples = concat(results.map((r) => r.latencies));
    acceptedTotal += results.reduce((n, r) => n + r.acceptedTotal, 0);
    const figures: RunFigures = {
      acceptedPerS: Math.round(results.reduce((n, r) => n + r.acceptedInWindow, 0) / seconds),
      deliveredPerS: Math.round(results.reduce((n, r) => n + r.receivedInWindow, 0) / seconds),
      latency: summarize(samples),
      lost: results.reduce((n, r) => n + r.lostOfWindow, 0),
      errors: results.reduce((n, r) => n + r.errors, 0),
      lastError: results.find((r) => r.lastError)?.lastError ?? null,
      scheduleLagP99: Math.round(Math.max(...results.map((r) => r.scheduleLagP99)) * 10) / 10,
      cpu: await cpu!,
    };
    ctx.log(`${target} ${mode}: accepted ${figures.acceptedPerS}/s, delivered ${figures.deliveredPerS}/s, p50 ${figures.latency.median} ms, p99 ${figures.latency.p99} ms, cpu ${JSON.stringify(figures.cpu.processes)}`);
    return { figures, samples };
  };
  try {
    const sat = [];
    for (let r = 0; r < cfg.runs; r++) sat.push(await one("saturate"));
    const steady = [];
    for (let r = 0; r < cfg.runs; r++) steady.push(await one("rate"));
    const result: TargetResult = {
      connectMs: Math.round(Math.max(...fleet.ready.map((r) => r.connectMs))),
      saturation: sat.map((s) => s.figures),
      saturationLatency: summarize(concat(sat.map((s) => s.samples))),
      steady: steady.map((s) => s.figures),
      steadyLatency: summarize(concat(steady.map((s) => s.samples))),
      acceptedTotal,
    };
    if (ctx.profileDir && server) {
      // Extra runs under the profiler, not counted above (profiling costs CPU).
      const satFile = path.join(ctx.profileDir, "ws-saturation.cpuprofile");
      const steadyFile = path.join(ctx.profileDir, "ws-steady-1000.cpuprofile");
      await one("saturate", satFile);
      await one("rate", steadyFile);
      result.profiles = { saturation: profileSummary(satFile), steady: profileSummary(steadyFile) };
    }
    return result;
  } finally {
    await fleet.stop();
  }
}

/** Every accepted message is in its recipient's log: B's chat head = 1 (the conversation entry) + messages received. */
async function persistedCheck(url: string, pairs: ChatPair[], accepted: number): Promise<TargetResult["persisted"]> {
  let entries = 0;
  for (const p of pairs) {
    const res = await fetch(`${url}/api/sync/chat?after=0&limit=1`, { headers: { authorization: `Bearer ${p.b.token}` } });
    const body = (await res.json()) as { head: number };
    entries += body.head - 1;
  }
  return { recipientsEntries: entries, accepted, ok: entries >= accepted };
}

function report(cfg: Cfg, engine: string, courier: TargetResult, relay: TargetResult): SuiteResult {
  const rate = (r: RunFigures) => Math.min(r.acceptedPerS, r.deliveredPerS);
  const cRate = median(courier.saturation.map(rate));
  const rRate = median(relay.saturation.map(rate));
  const runs = cfg.runs > 1 ? `median of ${cfg.runs} runs` : "1 run";
  const cpuNote = (figs: RunFigures[], proc: string) => {
    const c = figs[0]!.cpu.processes;
    const gen = Object.entries(c)
      .filter(([k]) => k.startsWith("worker"))
      .reduce((n, [, v]) => n + v, 0);
    return `server ${c[proc] ?? "?"}%${dbCpu(c)}, generator ${Math.round(gen)}% of a core, machine ${figs[0]!.cpu.machineBusyPct}%`;
  };
  const metrics: Metric[] = [
    {
      id: "ws.saturation.courier",
      label: "1:1 WebSocket, persisted + delivered",
      unit: "msg/s",
      value: cRate,
      target: { op: ">=", value: 20_000 },
      note: `${runs}; ${cpuNote(courier.saturation, "courier")}`,
    },
    { id: "ws.saturation.relay", label: "1:1 WebSocket, bare socket.io relay", unit: "msg/s", value: rRate, note: `${runs}; ${cpuNote(relay.saturation, "relay")}` },
    { id: "ws.saturation.ratio", label: "Courier / relay", unit: "×", value: Math.round((cRate / rRate) * 100) / 100, target: { op: ">=", value: 0.5 } },
    {
      id: "ws.saturation.latency.courier",
      label: "send → recipient at saturation, Courier, p50 / p99",
      unit: "ms",
      value: courier.saturationLatency.p99,
      note: `p50 ${courier.saturationLatency.median} ms; ${cfg.pairs} senders × ${cfg.window} in flight`,
    },
    {
      id: "ws.saturation.latency.relay",
      label: "send → recipient at saturation, relay, p50 / p99",
      unit: "ms",
      value: relay.saturationLatency.p99,
      note: `p50 ${relay.saturationLatency.median} ms`,
    },
    {
      id: "ws.steady.latency.courier",
      label: `send → recipient at ${cfg.rate.toLocaleString("en-US")} msg/s, WebSocket, p99`,
      unit: "ms",
      value: courier.steadyLatency.p99,
      // The target is set at 1,000 msg/s; another rate (--steady-rate) is reported without one.
      ...(cfg.rate === 1000 ? { target: { op: "<=" as const, value: 10 } } : {}),
      note: `p50 ${courier.steadyLatency.median} ms, ${courier.steadyLatency.n} samples; ${cpuNote(courier.steady, "courier")}`,
    },
    {
      id: "ws.steady.latency.relay",
      label: `send → recipient at ${cfg.rate.toLocaleString("en-US")} msg/s, relay, p99`,
      unit: "ms",
      value: relay.steadyLatency.p99,
      note: `p50 ${relay.steadyLatency.median} ms`,
    },
  ];
  return { metrics, details: { config: cfg, engine, courier, relay } };
}
