import path from "node:path";
import type { TransportName } from "../../shared/protocol/index.js";
import { Fleet } from "../lib/fleet.js";
import type { ChatPair, ChatResult } from "../lib/jobs.js";
import { profileSummary } from "../lib/profile-summary.js";
import { dbCpu, withStore, type BenchStore } from "../lib/database.js";
import type { Metric, Suite, SuiteContext, SuiteResult } from "../lib/report.js";
import type { SeededUser } from "../lib/seed.js";
import { BROWSER_CONNECTIONS_PER_HOST } from "../lib/node-http.js";
import { BenchServer, LOAD_SERVER_ENV } from "../lib/server.js";
import { concat, split, summarize } from "../lib/stats.js";
import { tcpCounters, tcpDelta, watchAcceptQueue } from "../lib/tcp.js";
import { cpuOverWindow, profileWindow, quiesce } from "../lib/window.js";

/**
 * 2. Steady-rate latency per transport, with clients made of the web app's
 * own code (bench/lib/node-client.ts: web/sync's WsTransport, SseTransport,
 * PollTransport with their heartbeats, web/api's HTTP client, the shared
 * SyncEngine; only EventSource and IndexedDB are stand-ins).
 *
 * 1,000 msg/s in all, open loop, over N pairs; each A sends the way its web
 * client does (socket `send` on WebSocket, `POST /api/messages` on SSE and
 * long-poll) and each B receives over the transport under test. Measured:
 * A's send call → B's sync engine applied the entry (in order, gap-free;
 * what the app would then write and render), and → the raw push arrival.
 *
 * The browser's fetch and EventSource are native code; Node's fetch (undici)
 * is JavaScript and cost the generator more than the server (issue 16). So
 * the clients use node:http stand-ins for both (bench/lib/node-http.ts,
 * node-event-source.ts: same requests, keep-alive connections); `--generator=fetch` goes back to
 * Node's fetch, to compare. Every figure's note says which, and how much CPU
 * the generator used.
 */
const WORKERS = 2;
const TARGETS: Record<TransportName, number> = { ws: 10, sse: 15, poll: 25 };
const NAMES: Record<TransportName, string> = { ws: "WebSocket", sse: "SSE", poll: "long-poll" };

export const transports: Suite = (ctx) => withStore(ctx.db, (store) => run(ctx, store));

async function run(ctx: SuiteContext, store: BenchStore): Promise<SuiteResult> {
  const cfg = {
    pairs: ctx.quick ? 10 : 50,
    runs: ctx.quick ? 1 : 3,
    rate: 1000,
    /** A second, lighter rate (full runs only): the transport's own latency when the 2-core machine is not saturated. */
    lightRate: Number(ctx.option("light-rate") ?? (ctx.quick ? 0 : 200)),
    warmupMs: ctx.quick ? 300 : 1000,
    durationMs: ctx.quick ? 1500 : 5000,
    drainMs: ctx.quick ? 1500 : 5000,
    bodyBytes: 80,
    /** `lean`: node:http stand-ins for fetch and EventSource; `fetch`: Node's fetch (undici). */
    generator: ctx.option("generator") === "fetch" ? ("fetch" as const) : ("lean" as const),
    /** Lean clients: HTTP connections each holds at most, as a browser does (0: no limit). */
    connections: Number(ctx.option("connections") ?? BROWSER_CONNECTIONS_PER_HOST),
  };
  const generatorName = cfg.generator === "fetch" ? "fetch" : cfg.connections > 0 ? `lean, ≤ ${cfg.connections} connections a client` : "lean, connections unlimited";
  const chosen = ctx.option("transports")?.split(",").filter((t): t is TransportName => t === "ws" || t === "sse" || t === "poll");
  const order: TransportName[] = chosen?.length ? chosen : ctx.quick ? ["sse", "poll"] : ["ws", "sse", "poll"];
  const seeder = await store.seeder();
  const users = await seeder.users(cfg.pairs * 2 * order.length, "tr");
  const metrics: Metric[] = [];
  const details: Record<string, unknown> = { config: cfg, engine: ctx.db.engine };
  const pairsFor: Record<string, ChatPair[]> = {};
  for (const [k, t] of order.entries()) {
    const mine = users.slice(k * cfg.pairs * 2, (k + 1) * cfg.pairs * 2);
    const couples = Array.from({ length: cfg.pairs }, (_, i) => [mine[2 * i]!, mine[2 * i + 1]!] as [SeededUser, SeededUser]);
    const ids = await seeder.direct(couples);
    pairsFor[t] = couples.map(([a, b], i) => ({ a, b, conversationId: ids[i]! }));
  }
  await seeder.close();
  const server = await BenchServer.start({ dataDir: store.dataDir, env: { ...store.env, ...LOAD_SERVER_ENV } });
  const port = Number(new URL(server.url).port);
  try {
    for (const transport of order) {
      const fleet = await Fleet.start(
        split(pairsFor[transport]!, WORKERS).map((share) => ({ kind: "chat", url: server.url, target: "courier", client: transport, pairs: share, concurrency: 8, lean: cfg.generator === "lean", connections: cfg.connections })),
      );
      try {
        const failed = fleet.ready.reduce((n, r) => n + r.failed, 0);
        if (failed > 0) throw new Error(`${failed} ${transport} pairs could not connect: ${fleet.ready.find((r) => r.firstError)?.firstError}`);
        const pids = { server: server.pid, ...ctx.db.cpuTargets(), ...Object.fromEntries(fleet.pids.map((p, i) => [`worker${i}`, p])) };
        const applied: Float64Array[] = [];
        const pushed: Float64Array[] = [];
        const perRun = [];
        const runOnce = async (profileFile?: string, rate = cfg.rate) => {
          await quiesce(server.pid, 15, ctx.quick ? 3000 : 30_000);
          const tcpBefore = tcpCounters();
          const queue = watchAcceptQueue(port);
          let cpu: ReturnType<typeof cpuOverWindow> | null = null;
          let profiling: Promise<string | null> | null = null;
          const results = await fleet.run<ChatResult>((_, startAt) => {
            cpu ??= cpuOverWindow(pids, startAt + cfg.warmupMs, cfg.durationMs);
            if (profileFile) profiling ??= profileWindow(server, startAt + cfg.warmupMs, cfg.durationMs, profileFile);
            return { kind: "chat", mode: "rate", rate: rate / WORKERS, window: 1, startAt, warmupMs: cfg.warmupMs, durationMs: cfg.durationMs, drainMs: cfg.drainMs, bodyBytes: cfg.bodyBytes };
          });
          const profileError = await profiling;
          if (profileError) ctx.log(`no profile: ${profileError}`);
          const acceptQueue = queue.stop();
          const tcp = tcpDelta(tcpBefore, tcpCounters());
          return { results, cpu: await cpu!, tcp: tcp && { ...tcp, acceptQueue } };
        };
        for (let r = 0; r < cfg.runs; r++) {
          const { results, cpu, tcp } = await runOnce();
          const a = concat(results.map((x) => x.applyLatencies));
          const p = concat(results.map((x) => x.latencies));
          applied.push(a);
          pushed.push(p);
          const run = {
            applied: summarize(a),
            pushed: summarize(p),
            sent: results.reduce((n, x) => n + x.sentInWindow, 0),
            lost: results.reduce((n, x) => n + x.lostOfWindow, 0),
            errors: results.reduce((n, x) => n + x.errors, 0),
            lastError: results.find((x) => x.lastError)?.lastError ?? null,
            scheduleLagP99: Math.max(...results.map((x) => x.scheduleLagP99)),
            cpu,
            tcp,
          };
          perRun.push(run);
          ctx.log(`${transport}: applied p50 ${run.applied.median} p99 ${run.applied.p99} ms; pushed p99 ${run.pushed.p99} ms; lost ${run.lost}; cpu ${JSON.stringify(cpu.processes)}${tcp ? `; tcp ${tcp.opened} opened, ${tcp.listenOverflows} dropped (queue full), accept queue max ${tcp.acceptQueue?.max ?? "?"}` : ""}`);
        }
        const all = summarize(concat(applied));
        const push = summarize(concat(pushed));
        const entry: Record<string, unknown> = { applied: all, pushed: push, runs: perRun, connectMs: Math.round(Math.max(...fleet.ready.map((r) => r.connectMs))) };
        let lightMetric: Metric | null = null;
        if (cfg.lightRate > 0) {
          const { results, cpu } = await runOnce(undefined, cfg.lightRate);
          const light = summarize(concat(results.map((x) => x.applyLatencies)));
          entry.light = { rate: cfg.lightRate, applied: light, pushed: summarize(concat(results.map((x) => x.latencies))), lost: results.reduce((n, x) => n + x.lostOfWindow, 0), cpu };
          ctx.log(`${transport} at ${cfg.lightRate}/s: applied p50 ${light.median} p99 ${light.p99} ms; cpu ${JSON.stringify(cpu.processes)}`);
          lightMetric = {
            id: `transport.${transport}.light.p99`,
            label: `send → applied at ${cfg.lightRate} msg/s, ${NAMES[transport]} (web client code), p99`,
            unit: "ms",
            value: light.p99,
            note: `p50 ${light.median} ms, ${light.n} samples; server ${cpu.processes.server}%${dbCpu(cpu.processes)}, generator (${generatorName}) ${Math.round((cpu.processes.worker0 ?? 0) + (cpu.processes.worker1 ?? 0))}%`,
          };
        }
        if (ctx.profileDir) {
          const file = path.join(ctx.profileDir, `${transport}-steady-1000.cpuprofile`);
          await runOnce(file);
          entry.profile = profileSummary(file);
        }
        details[transport] = entry;
        const cpu = perRun[0]!.cpu.processes;
        const firstTcp = perRun[0]!.tcp;
        const gen = Math.round((cpu.worker0 ?? 0) + (cpu.worker1 ?? 0));
        metrics.push({
          id: `transport.${transport}.p99`,
          label: `send → applied at 1,000 msg/s, ${NAMES[transport]} (web client code), p99`,
          unit: "ms",
          value: all.p99,
          target: { op: "<=", value: TARGETS[transport] },
          note: `p50 ${all.median} ms, push arrival p99 ${push.p99} ms, ${all.n} samples${perRun.some((r) => r.lost) ? `, ${perRun.reduce((n, r) => n + r.lost, 0)} not applied in time` : ""}; server ${cpu.server}%${dbCpu(cpu)}, generator (${generatorName}) ${gen}%${firstTcp ? `; first window: ${firstTcp.opened} connections opened, ${firstTcp.listenOverflows} dropped, accept queue ≤ ${firstTcp.acceptQueue?.max ?? "?"}` : ""}`,
        });
        if (lightMetric) metrics.push(lightMetric);
      } finally {
        await fleet.stop();
      }
    }
  } finally {
    await server.stop();
  }
  return { metrics, details };
}
