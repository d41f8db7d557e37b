import path from "node:path";
import type { TransportName } from "../../shared/protocol/index.js";
import { startServers, stopServers, type RedisStats } from "../lib/cluster.js";
import { Fleet } from "../lib/fleet.js";
import type { ClientCreds, StatusResult } from "../lib/jobs.js";
import { cpuMs, rssBytes, treeCpuMs } from "../lib/proc.js";
import { profileSummary } from "../lib/profile-summary.js";
import { withStore, type BenchStore } from "../lib/database.js";
import type { Metric, Suite, SuiteContext, SuiteResult } from "../lib/report.js";
import type { SeededUser } from "../lib/seed.js";
import type { BenchServer, MemoryUsage } from "../lib/server.js";
import { split } from "../lib/stats.js";
import { sleep } from "../lib/window.js";

/**
 * 4. Idle connections on one server process: 10,000 WebSocket, 2,000 SSE
 * streams, 2,000 parked long-polls (each on a fresh server over the same
 * seeded accounts, one user and device per connection; `--idle=ws` for some
 * transports only). Clients are the web app's own transports
 * (bench/lib/node-client.ts, no sync engine), so they register their device
 * and heartbeat exactly as a visible browser tab does: a burst of three pings
 * after hello, then one every H/2 (WebSocket: a `heartbeat` event; SSE:
 * `POST /api/sync/ping`); long-polls re-poll every 25 s. Spread over two
 * load workers.
 *
 * Memory per connection: (server RSS with N connected − RSS before any),
 * both after a forced full GC (bench probe), divided by N; heap alike.
 * Heartbeat CPU: the server's CPU time over a window of at least one full
 * heartbeat interval with N idle connections, minus the same window with
 * none, per connection and as % of one core.
 *
 * Several processes (`--cluster=N`): the same N connections spread evenly
 * over the processes (one load worker per process); memory per connection
 * is reported per process, and Redis's share beside it: its used memory
 * (subscriptions and presence) and the commands it ran over the heartbeat
 * window (presence refreshes), per connection.
 */
const WORKERS = 2;

export const connections: Suite = (ctx) => withStore(ctx.db, (store) => run(ctx, store));

type Timing = { warmUp: boolean; baselineMs: number; settleMs: number; heartbeatWindowMs: number; memoryReadings: number };

async function run(ctx: SuiteContext, store: BenchStore): Promise<SuiteResult> {
  const all: Record<TransportName, number> = ctx.quick ? { ws: 300, sse: 100, poll: 100 } : { ws: 10_000, sse: 2000, poll: 2000 };
  const transports = idleTransports(ctx.option("idle"));
  const counts = Object.fromEntries(transports.map((t) => [t, all[t]])) as Partial<Record<TransportName, number>>;
  // Quick: one server for the transports one after the other, no warm-up, short windows (a smoke test; memory figures are rough).
  const timing: Timing = ctx.quick
    ? { warmUp: false, baselineMs: 500, settleMs: 1000, heartbeatWindowMs: 2000, memoryReadings: 1 }
    : { warmUp: true, baselineMs: 5000, settleMs: 5000, heartbeatWindowMs: 30_000, memoryReadings: 3 };
  const seeder = await store.seeder();
  const total = transports.reduce((n, t) => n + all[t], 0);
  const users = await seeder.users(total + 10, "idle");
  await seeder.close();
  const warmers = users.slice(total);
  const metrics: Metric[] = [];
  const details: Record<string, unknown> = { counts, timing, engine: ctx.db.engine, processes: ctx.cluster.processes };
  let offset = 0;
  const shared = ctx.quick ? await startServers(ctx.cluster, store) : null;
  try {
    for (const transport of transports) {
      const mine = users.slice(offset, offset + all[transport]);
      offset += all[transport];
      const r = await holdIdle(ctx, shared ?? store, transport, mine, warmers, timing);
      details[transport] = r;
      const name = transport === "ws" ? "WebSocket connections" : transport === "sse" ? "SSE streams" : "parked long-polls";
      const n = all[transport].toLocaleString("en-US");
      const cluster = r.processes.length > 1;
      const where = cluster ? ` over ${r.processes.length} processes` : "";
      const perProcess = cluster
        ? `; per process (${r.processes.map((p) => p.clients.toLocaleString("en-US")).join(" + ")} connections): RSS ${r.processes.map((p) => `${p.rssPerConnectionKB}`).join(" / ")} KB, heap ${r.processes.map((p) => `${p.heapPerConnectionKB}`).join(" / ")} KB`
        : "";
      metrics.push({
        id: `connections.${transport}.rssPerConnection`,
        label: `${n} idle ${name}${where}: server memory each`,
        unit: "KB",
        // RSS moves by a few MB on its own (heap growth and shrinking): with few connections (quick) that can swamp the delta.
        value: r.rssPerConnectionKB >= 0 ? r.rssPerConnectionKB : null,
        ...(transport === "ws" ? { target: { op: "<=" as const, value: 15 } } : {}),
        note: `${r.rssPerConnectionKB >= 0 ? "RSS after full GC" : `RSS delta below its noise (${r.rssPerConnectionKB} KB)`}; heap ${r.heapPerConnectionKB} KB each${perProcess}; ${r.online}/${all[transport]} online; connecting all took ${r.rampMs} ms`,
      });
      if (r.redis) {
        metrics.push({
          id: `connections.${transport}.redisPerConnection`,
          label: `${n} idle ${name}${where}: Redis memory each`,
          unit: "KB",
          value: r.redis.usedPerConnectionKB,
          note: `used_memory after − before; ${r.redis.shardChannels} sharded channels subscribed; ${r.redis.commandsPerConnectionPerS} commands per connection per second over the heartbeat window (presence)`,
        });
      }
      metrics.push({
        id: `connections.${transport}.heartbeatCpu`,
        label: `${n} idle ${name}${where}: heartbeat CPU`,
        unit: "% core",
        value: r.heartbeatCpuPct,
        note: `${r.cpuMsPerConnectionPerMin} ms CPU per connection per minute, over ${timing.heartbeatWindowMs / 1000} s; server${cluster ? "s" : ""} with none ${r.baselineCpuPct}%${cluster ? `; per process ${r.processes.map((p) => `${p.heartbeatCpuPct}%`).join(" / ")}` : ""}${Object.entries(r.beside).map(([name, c]) => `; ${name} ${c.cpuPct}% (${c.baselineCpuPct}% with none)`).join("")}`,
      });
    }
  } finally {
    if (shared) await stopServers(shared);
  }
  return { metrics, details };
}

function idleTransports(text: string | undefined): TransportName[] {
  const known: TransportName[] = ["ws", "sse", "poll"];
  if (text === undefined) return known;
  const asked = text.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((t) => !known.includes(t as TransportName));
  if (asked.length === 0 || unknown.length > 0) throw new Error(`--idle takes transports among ${known.join(", ")}, not ${text}`);
  return known.filter((t) => asked.includes(t));
}

async function holdIdle(ctx: SuiteContext, serversOrStore: BenchServer[] | BenchStore, transport: TransportName, users: SeededUser[], warmers: SeededUser[], timing: Timing) {
  const windowMs = timing.heartbeatWindowMs;
  const own = !Array.isArray(serversOrStore);
  const servers = own ? await startServers(ctx.cluster, serversOrStore) : serversOrStore;
  const creds = (u: SeededUser): ClientCreds => ({ userId: u.userId, token: u.token, deviceId: u.deviceId });
  // Beside the servers: PostgreSQL's processes (session re-checks, device registration) and redis-server, when present.
  const others = Object.entries({ ...ctx.db.cpuTargets(), ...ctx.cluster.cpuTargets() }).filter((e): e is [string, number | { tree: number }] => e[1] !== undefined);
  const targets = () => [...servers.map((s) => s.pid), ...others.map(([, t]) => t)];
  try {
    if (timing.warmUp) {
      // Warm-up: load the code paths (and JIT them) with a few connections, then let them go.
      const warm = await Fleet.start(servers.map((server) => ({ kind: "idle", url: server.url, transport, clients: warmers.map(creds), concurrency: 20 })));
      await warm.stop();
      await sleep(1000);
    }
    const baseline = await cpuFor(targets(), timing.baselineMs);
    const before = await Promise.all(servers.map((s) => lowestMemory(s, timing.memoryReadings)));
    const redisBefore = await ctx.cluster.stats();
    // One load worker per process in a cluster (N = 2 is the two workers of one process).
    const shares = split(users, servers.length > 1 ? servers.length : WORKERS);
    const fleet = await Fleet.start(shares.map((share, i) => ({ kind: "idle", url: servers[i % servers.length]!.url, transport, clients: share.map(creds), concurrency: 100 })));
    try {
      // From the first connect to the last hello, in the workers (process start-up excluded).
      const rampMs = Math.round(Math.max(...fleet.ready.map((r) => r.connectMs)));
      const failed = fleet.ready.reduce((n, r) => n + r.failed, 0);
      ctx.log(`${transport}: ${users.length - failed}/${users.length} connected in ${rampMs} ms${failed ? ` (first error: ${fleet.ready.find((r) => r.firstError)?.firstError})` : ""}`);
      await sleep(timing.settleMs); // the heartbeat bursts after hello are over
      const after = await Promise.all(servers.map((s) => lowestMemory(s, timing.memoryReadings)));
      const redisAfter = await ctx.cluster.stats();
      let profileFile = ctx.profileDir && servers.length === 1 ? path.join(ctx.profileDir, `idle-${transport}.cpuprofile`) : null;
      if (profileFile) await servers[0]!.profileStart().catch(() => (profileFile = null));
      const cpu = await cpuFor(targets(), windowMs);
      const redisEnd = await ctx.cluster.stats();
      if (profileFile) await servers[0]!.profileStop(profileFile).catch(() => (profileFile = null));
      const statuses = await fleet.run<StatusResult>(() => ({ kind: "status" }));
      const status = statuses.reduce(
        (a, s) => ({ clients: a.clients + s.clients, online: a.online + s.online, hellos: a.hellos + s.hellos, refusals: a.refusals + s.refusals }),
        { clients: 0, online: 0, hellos: 0, refusals: 0 },
      );
      const workerRss = fleet.pids.map((p) => rssBytes(p) ?? 0);
      // Per connection held: divided by those online (all of them, unless some could not connect).
      const n = status.online || users.length;
      const kb = (bytes: number, count: number) => Math.round((bytes / count / 1024) * 10) / 10;
      const sum = (ms: MemoryUsage[], k: keyof MemoryUsage) => ms.reduce((t, m) => t + m[k], 0);
      const onProcess = (p: number) => statuses.filter((_, i) => i % servers.length === p).reduce((t, s) => t + s.online, 0);
      const clientsOn = servers.map((_, p) => onProcess(p) || Math.round(n / servers.length));
      const processes = servers.map((s, p) => ({
        pid: s.pid,
        clients: clientsOn[p]!,
        memoryBefore: before[p]!,
        memoryAfter: after[p]!,
        rssPerConnectionKB: kb(after[p]!.rss - before[p]!.rss, clientsOn[p]!),
        heapPerConnectionKB: kb(after[p]!.heapUsed - before[p]!.heapUsed, clientsOn[p]!),
        baselineCpuPct: baseline[p]!.pct,
        cpuPct: cpu[p]!.pct,
        // Never below 0: with short windows (quick) the baseline can catch the previous transport's clean-up.
        heartbeatCpuPct: Math.max(0, Math.round((cpu[p]!.pct - baseline[p]!.pct) * 10) / 10),
      }));
      const serverCpuMs = cpu.slice(0, servers.length).reduce((t, c) => t + c.ms, 0);
      const baselineMs = baseline.slice(0, servers.length).reduce((t, c) => t + c.ms, 0);
      const baselinePct = Math.round(baseline.slice(0, servers.length).reduce((t, c) => t + c.pct, 0) * 10) / 10;
      const beside = Object.fromEntries(others.map(([name], i) => [name, { baselineCpuPct: baseline[servers.length + i]!.pct, cpuPct: cpu[servers.length + i]!.pct }]));
      const heartbeatCpuPct = Math.max(0, Math.round(processes.reduce((t, p) => t + p.cpuPct - p.baselineCpuPct, 0) * 10) / 10);
      const redis = redisDelta(redisBefore, redisAfter, redisEnd, n, windowMs, beside.redis?.cpuPct ?? null);
      const result = {
        connected: users.length - failed,
        online: status.online,
        reconnects: status.hellos - status.online,
        refusals: status.refusals,
        rampMs,
        memoryBefore: servers.length === 1 ? before[0] : undefined,
        memoryAfter: servers.length === 1 ? after[0] : undefined,
        rssPerConnectionKB: kb(sum(after, "rss") - sum(before, "rss"), n),
        heapPerConnectionKB: kb(sum(after, "heapUsed") - sum(before, "heapUsed"), n),
        externalPerConnectionKB: kb(sum(after, "external") - sum(before, "external"), n),
        baselineCpuPct: baselinePct,
        cpuPct: Math.round(cpu.slice(0, servers.length).reduce((t, c) => t + c.pct, 0) * 10) / 10,
        heartbeatCpuPct,
        cpuMsPerConnectionPerMin: Math.max(0, Math.round((((serverCpuMs / windowMs - baselineMs / timing.baselineMs) * 60_000) / n) * 1000) / 1000),
        processes,
        beside,
        redis,
        generatorRssMB: workerRss.map((b) => Math.round(b / 2 ** 20)),
        ...(profileFile ? { profile: profileSummary(profileFile) } : {}),
      };
      ctx.log(
        `${transport}: ${result.rssPerConnectionKB} KB RSS / ${result.heapPerConnectionKB} KB heap per connection${servers.length > 1 ? ` (per process ${processes.map((p) => p.rssPerConnectionKB).join(" / ")} KB)` : ""}; heartbeat CPU ${heartbeatCpuPct}%${redis ? `; redis ${redis.usedPerConnectionKB} KB and ${redis.commandsPerConnectionPerS} commands/s per connection, ${redis.cpuPct}% CPU` : ""} (online ${status.online}, reconnects ${result.reconnects})`,
      );
      return result;
    } finally {
      await fleet.stop();
    }
  } finally {
    if (own) await stopServers(servers);
  }
}

/** Redis's share of N idle connections: memory each, and the commands it ran per connection per second over the window. */
function redisDelta(before: RedisStats | null, after: RedisStats | null, end: RedisStats | null, n: number, windowMs: number, cpuPct: number | null) {
  if (!before || !after || !end) return null;
  return {
    before,
    after,
    usedPerConnectionKB: Math.round(((after.usedMemory - before.usedMemory) / n / 1024) * 100) / 100,
    shardChannels: after.shardChannels,
    // The `stats` calls themselves (a handful) are in the count; negligible beside N connections.
    commandsPerConnectionPerS: Math.round(((end.commands - after.commands) / n / (windowMs / 1000)) * 1000) / 1000,
    cpuPct,
  };
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

/** CPU of each process (or process and its children) over the same `ms`. */
async function cpuFor(targets: Array<number | { tree: number }>, ms: number): Promise<Array<{ ms: number; pct: number }>> {
  const read = (t: number | { tree: number }) => (typeof t === "number" ? cpuMs(t) : treeCpuMs(t.tree)) ?? 0;
  const a = targets.map(read);
  await sleep(ms);
  return targets.map((t, i) => {
    const used = read(t) - a[i]!;
    return { ms: used, pct: Math.round((used / ms) * 1000) / 10 };
  });
}
