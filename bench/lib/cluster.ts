import { Redis } from "ioredis";
import { startRedis } from "../../scripts/provision/redis.js";
import type { RunningService } from "../../scripts/provision/service.js";
import type { BenchStore } from "./database.js";
import type { CpuTarget } from "./proc.js";
import { BenchServer } from "./server.js";
import { sleep } from "./window.js";

/**
 * `--cluster=N`: the suites' servers run as N processes of one Courier on
 * the run's PostgreSQL and one Redis (a throwaway redis-server started for
 * the run, scripts/provision/redis.ts, stopped at its end), each process
 * given the suite's DATABASE_URL and the REDIS_URL, as `npm start` on N
 * ports would be. Without it a suite's "cluster" is one process and no Redis.
 */
export interface BenchCluster {
  /** Processes per suite (1: a single server, no Redis). */
  readonly processes: number;
  /** The Redis of the run, or null on one process. */
  readonly redisUrl: string | null;
  /** For the results JSON. */
  readonly info: Record<string, unknown>;
  /** redis-server's process, measured beside the servers. */
  cpuTargets(): Record<string, CpuTarget>;
  /** Empties Redis (a suite starts on a clean one, so its memory figures are its own). */
  reset(): Promise<void>;
  /** Redis's own figures (INFO), or null on one process. */
  stats(): Promise<RedisStats | null>;
  close(): Promise<void>;
}

export interface RedisStats {
  usedMemory: number;
  /** Commands processed since the server started. */
  commands: number;
  /** Sharded pub/sub channels with at least one subscriber. */
  shardChannels: number;
  /** Calls per command (INFO commandstats), e.g. { spublish: 1200, evalsha: 600 }. */
  calls: Record<string, number>;
}

export function singleProcess(): BenchCluster {
  return {
    processes: 1,
    redisUrl: null,
    info: { processes: 1, redis: null },
    cpuTargets: () => ({}),
    reset: async () => undefined,
    stats: async () => null,
    close: async () => undefined,
  };
}

export async function redisCluster(processes: number): Promise<BenchCluster> {
  const service: RunningService = await startRedis();
  try {
    const info = await withRedis(service.url, async (r) => parseInfo(await r.info("server")));
    const pid = Number(info.process_id) || null;
    return {
      processes,
      redisUrl: service.url,
      info: { processes, redis: { version: info.redis_version, url: service.url, source: "throwaway (scripts/provision/redis.ts), no persistence" } },
      cpuTargets: () => (pid === null ? {} : { redis: pid }),
      reset: () => withRedis(service.url, async (r) => void (await r.flushall())),
      stats: () =>
        withRedis(service.url, async (r) => {
          const memory = parseInfo(await r.info("memory"));
          const stats = parseInfo(await r.info("stats"));
          const channels = (await r.call("PUBSUB", "SHARDCHANNELS")) as unknown[];
          const calls: Record<string, number> = {};
          for (const [key, value] of Object.entries(parseInfo(await r.info("commandstats")))) {
            const n = /calls=(\d+)/.exec(value);
            if (n) calls[key.replace(/^cmdstat_/, "")] = Number(n[1]);
          }
          return { usedMemory: Number(memory.used_memory), commands: Number(stats.total_commands_processed), shardChannels: channels.length, calls };
        }),
      close: async () => service.stop(),
    };
  } catch (error) {
    service.stop();
    throw error;
  }
}

async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/**
 * The suite's servers: one, or the cluster's N processes on the store, started one after another (the first
 * start creates the VAPID keys in the database), each with a data directory of its own (nothing of the database
 * is in it on PostgreSQL). Resolves once each answers /api/ready with Redis linked.
 */
export async function startServers(cluster: BenchCluster, store: BenchStore, env: Record<string, string> = {}): Promise<BenchServer[]> {
  if (cluster.redisUrl === null) return [await BenchServer.start({ dataDir: store.dataDir, env: { ...store.env, ...env } })];
  const servers: BenchServer[] = [];
  try {
    for (let i = 0; i < cluster.processes; i++) {
      const server = await BenchServer.start({
        env: { ...store.env, ...env, REDIS_URL: cluster.redisUrl },
      });
      servers.push(server);
      await ready(server);
    }
  } catch (error) {
    await stopServers(servers);
    throw error;
  }
  return servers;
}

export async function stopServers(servers: BenchServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}

async function ready(server: BenchServer): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${server.url}/api/ready`);
      const body = (await res.json()) as { ready: boolean; redis: string };
      if (res.ok && body.ready && body.redis === "up") return;
      last = JSON.stringify(body);
    } catch (error) {
      last = String(error);
    }
    await sleep(100);
  }
  throw new Error(`server ${server.url} not ready with Redis within 20 s: ${last}`);
}
