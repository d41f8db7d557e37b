import path from "node:path";
import type { TransportName } from "../../shared/protocol/index.js";
import { Fleet } from "../lib/fleet.js";
import type { ClientCreds, StatusResult } from "../lib/jobs.js";
import { cpuMs, rssBytes } from "../lib/proc.js";
import { profileSummary } from "../lib/profile-summary.js";
import { withStore, type BenchStore } from "../lib/database.js";
import type { Metric, Suite, SuiteContext, SuiteResult } from "../lib/report.js";
import type { SeededUser } from "../lib/seed.js";
import { BenchServer, type MemoryUsage } from "../lib/server.js";
import { split } from "../lib/stats.js";
import { sleep } from "../lib/window.js";

/**
 * 4. Idle connections on one server process: 10,000 WebSocket, 2,000 SSE
 * streams, 2,000 parked long-polls (each on a fresh server over the same
 * seeded accounts, one user and device per connection). Clients are the web
 * app's own transports (bench/lib/node-client.ts, no sync engine), so they
 * register their device and heartbeat exactly as a visible browser tab does:
 * a burst of three pings after hello, then one every H/2 (WebSocket: a
 * `heartbeat` event; SSE: `POST /api/sync/ping`); long-polls re-poll every
 * 25 s. Spread over two load workers.
 *
 * Memory per connection: (server RSS with N connected − RSS before any),
 * both after a forced full GC (bench probe), divided by N; heap alike.
 * Heartbeat CPU: the server's CPU time over a window of at least one full
 * heartbeat interval with N idle connections, minus the same window with
 * none, per connection and as % of one core.
 */
const WORKERS = 2;

export const connections: Suite = (ctx) => withStore(ctx.db, (store) => run(ctx, store));

async function run(ctx: SuiteContext, store: BenchStore): Promise<SuiteResult> {
  const counts: Record<TransportName, number> = ctx.quick ? { ws: 300, sse: 100, poll: 100 } : { ws: 10_000, sse: 2000, poll: 2000 };
  // Quick: one server for the three transports one after the other, no warm-up, short windows (a smoke test; memory figures are rough).
  const timing = ctx.quick
    ? { warmUp: false, baselineMs: 500, settleMs: 1000, heartbeatWindowMs: 2000, memoryReadings: 1 }
    : { warmUp: true, baselineMs: 5000, settleMs: 5000, heartbeatWindowMs: 30_000, memoryReadings: 3 };
  const seeder = await store.seeder();
  const total = counts.ws + counts.sse + counts.poll;
  const users = await seeder.users(total + 10, "idle");
  await seeder.close();
  const warmers = users.slice(total);
  const metrics: Metric[] = [];
  const details: Record<string, unknown> = { counts, timing, engine: ctx.db.engine };
  let offset = 0;
  const shared = ctx.quick ? await BenchServer.start({ dataDir: store.dataDir, env: store.env }) : null;
  try {
    for (const transport of ["ws", "sse", "poll"] as const) {
      const mine = users.slice(offset, offset + counts[transport]);
      offset += counts[transport];
      const r = await holdIdle(ctx, shared ?? store, transport, mine, warmers, timing);
      details[transport] = r;
      const name = transport === "ws" ? "WebSocket connections" : transport === "sse" ? "SSE streams" : "parked long-polls";
      metrics.push({
        id: `connections.${transport}.rssPerConnection`,
        label: `${counts[transport].toLocaleString("en-US")} idle ${name}: server memory each`,
        unit: "KB",
        // RSS moves by a few MB on its own (heap growth and shrinking): with few connections (quick) that can swamp the delta.
        value: r.rssPerConnectionKB >= 0 ? r.rssPerConnectionKB : null,
        ...(transport === "ws" ? { target: { op: "<=" as const, value: 15 } } : {}),
        note: `${r.rssPerConnectionKB >= 0 ? "RSS after full GC" : `RSS delta below its noise (${r.rssPerConnectionKB} KB)`}; heap ${r.heapPerConnectionKB} KB each; ${r.online}/${counts[transport]} online; connecting all took ${r.rampMs} ms`,
      });
      metrics.push({
        id: `connections.${transport}.heartbeatCpu`,
        label: `${counts[transport].toLocaleString("en-US")} idle ${name}: heartbeat CPU`,
        unit: "% core",
        value: r.heartbeatCpuPct,
        note: `${r.cpuMsPerConnectionPerMin} ms CPU per connection per minute, over ${timing.heartbeatWindowMs / 1000} s; server with none ${r.baselineCpuPct}%`,
      });
    }
  } finally {
    await shared?.stop();
  }
  return { metrics, details };
}

async function holdIdle(
  ctx: SuiteContext,
  serverOrData: BenchServer | BenchStore,
  transport: TransportName,
  users: SeededUser[],
  warmers: SeededUser[],
  timing: { warmUp: boolean; baselineMs: number; settleMs: number; heartbeatWindowMs: number; memoryReadings: number },
) {
  const windowMs = timing.heartbeatWindowMs;
  const own = !(serverOrData instanceof BenchServer);
  const server = own ? await BenchServer.start({ dataDir: serverOrData.dataDir, env: serverOrData.env }) : serverOrData;
  const creds = (u: SeededUser): ClientCreds => ({ userId: u.userId, token: u.token, deviceId: u.deviceId });
  try {
    if (timing.warmUp) {
      // Warm-up: load the code paths (and JIT them) with a few connections, then let them go.
      const warm = await Fleet.start([{ kind: "idle", url: server.url, transport, clients: warmers.map(creds), concurrency: 20 }]);
      await warm.stop();
      await sleep(1000);
    }
    const baseline = await cpuFor(server.pid, timing.baselineMs);
    const before = await lowestMemory(server, timing.memoryReadings);
    const fleet = await Fleet.start(split(users.map(creds), WORKERS).map((clients) => ({ kind: "idle", url: server.url, transport, clients, concurrency: 100 })));
    try {
      // From the first connect to the last hello, in the workers (process start-up excluded).
      const rampMs = Math.round(Math.max(...fleet.ready.map((r) => r.connectMs)));
      const failed = fleet.ready.reduce((n, r) => n + r.failed, 0);
      ctx.log(`${transport}: ${users.length - failed}/${users.length} connected in ${rampMs} ms${failed ? ` (first error: ${fleet.ready.find((r) => r.firstError)?.firstError})` : ""}`);
      await sleep(timing.settleMs); // the heartbeat bursts after hello are over
      const after = await lowestMemory(server, timing.memoryReadings);
      let profileFile = ctx.profileDir ? path.join(ctx.profileDir, `idle-${transport}.cpuprofile`) : null;
      if (profileFile) await server.profileStart().catch(() => (profileFile = null));
      const cpu = await cpuFor(server.pid, windowMs);
      if (profileFile) await server.profileStop(profileFile).catch(() => (profileFile = null));
      const status = (await fleet.run<StatusResult>(() => ({ kind: "status" }))).reduce(
        (a, s) => ({ clients: a.clients + s.clients, online: a.online + s.online, hellos: a.hellos + s.hellos, refusals: a.refusals + s.refusals }),
        { clients: 0, online: 0, hellos: 0, refusals: 0 },
      );
      const workerRss = fleet.pids.map((p) => rssBytes(p) ?? 0);
      const n = users.length;
      const per = (a: MemoryUsage, b: MemoryUsage, k: keyof MemoryUsage) => Math.round(((b[k] - a[k]) / n / 1024) * 10) / 10;
      // Never below 0: with short windows (quick) the baseline can catch the previous transport's clean-up.
      const heartbeatCpuPct = Math.max(0, Math.round((cpu.pct - baseline.pct) * 10) / 10);
      const result = {
        connected: n - failed,
        online: status.online,
        reconnects: status.hellos - status.online,
        refusals: status.refusals,
        rampMs,
        memoryBefore: before,
        memoryAfter: after,
        rssPerConnectionKB: per(before, after, "rss"),
        heapPerConnectionKB: per(before, after, "heapUsed"),
        externalPerConnectionKB: per(before, after, "external"),
        baselineCpuPct: baseline.pct,
        cpuPct: cpu.pct,
        heartbeatCpuPct,
        cpuMsPerConnectionPerMin: Math.max(0, Math.round((((cpu.ms / windowMs - baseline.ms / timing.baselineMs) * 60_000) / n) * 1000) / 1000),
        generatorRssMB: workerRss.map((b) => Math.round(b / 2 ** 20)),
        ...(profileFile ? { profile: profileSummary(profileFile) } : {}),
      };
      ctx.log(`${transport}: ${result.rssPerConnectionKB} KB RSS / ${result.heapPerConnectionKB} KB heap per connection; heartbeat CPU ${heartbeatCpuPct}% (online ${status.online}, reconnects ${result.reconnects})`);
      return result;
    } finally {
      await fleet.stop();
    }
  } finally {
    if (own) await server.stop();
  }
}

/** Readings after full GCs, the lowest RSS (V8 returns freed pages to the OS lazily). */
async function lowestMemory(server: BenchServer, readings: number): Promise<MemoryUsage> {
  let best: MemoryUsage | null = null;
  for (let i = 0; i < readings; i++) {
    const m = await server.memory();
    if (!best || m.rss < best.rss) best = m;
    await sleep(300);
  }
  return best!;
}

async function cpuFor(pid: number, ms: number): Promise<{ ms: number; pct: number }> {
  const a = cpuMs(pid) ?? 0;
  await sleep(ms);
  const used = (cpuMs(pid) ?? 0) - a;
  return { ms: used, pct: Math.round((used / ms) * 1000) / 10 };
}
