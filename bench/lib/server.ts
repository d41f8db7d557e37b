import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { ServerProcess } from "../../server/testing/server-process.js";

const PROBE = fileURLToPath(new URL("./server-probe.mjs", import.meta.url));

/**
 * Settings every bench server runs with: sends are not rate limited (the
 * load is the point; the abuse suite sets its own), logs quiet. The per-user
 * request budget stays at its default: acks and heartbeats no longer spend
 * it, so a reader's tab or an idle connection does not meet it (browser,
 * connections). Bench clients connect from loopback, which the per-address
 * limits exempt.
 */
export const BENCH_SERVER_ENV: Record<string, string> = {
  RATE_SEND_PER_10S: "1000000",
  LOG_LEVEL: "warn",
};

/**
 * For the suites whose senders send far faster than a person (throughput:
 * ~31 msg/s each; transports: 20 msg/s each; fanout: one sender as fast as
 * the server takes): every send is a request, so the default budget (600 a
 * minute, 10 a second) would be what they measure. Off for those.
 */
export const LOAD_SERVER_ENV: Record<string, string> = { RATE_REQUESTS_PER_USER_PER_MIN: "0" };

export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** A distribution of durations in ms, as the server probe reports it. */
export interface Durations {
  count: number;
  totalMs: number;
  p50: number;
  p99: number;
  max: number;
  over10ms: number;
}

/**
 * What held the server's answers over a window: the event loop's delay (a
 * task that ran long), V8's GC pauses, the WAL's `fdatasync` calls (SQLite).
 */
export interface ServerStalls {
  loopDelay: { p50: number; p99: number; max: number; samples: number };
  gc: Durations;
  syncs: Durations;
}

/** Counters of the server's write-ahead log (BenchServer.wal); subtract two readings for a window. */
export interface WalCounters {
  holds: number;
  heldMs: number;
  restarts: number;
}

/**
 * A real Courier server (server/testing/server-process.ts: `node --import tsx
 * server/server.ts` in a child process on 127.0.0.1) with the bench probe
 * preloaded, so the bench can force a GC and read memory, or CPU-profile a
 * measurement window, without any hook in product code.
 */
export class BenchServer {
  private seq = 0;

  private constructor(
    readonly proc: ServerProcess,
    private readonly probeDir: string,
    private readonly ownsData: string | null,
  ) {}

  static async start(opts: { env?: Record<string, string>; dataDir?: string } = {}): Promise<BenchServer> {
    if (!existsSync("dist/web/index.html")) throw new Error("build the web app first: npm run build");
    const probeDir = mkdtempSync(path.join(tmpdir(), "courier-probe-"));
    const ownsData = opts.dataDir ? null : mkdtempSync(path.join(tmpdir(), "courier-bench-"));
    const proc = await ServerProcess.start({
      dataDir: opts.dataDir ?? ownsData!,
      env: {
        ...BENCH_SERVER_ENV,
        ...opts.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${PROBE}`.trim(),
        BENCH_PROBE_DIR: probeDir,
        // What-if experiments only (bench/tools/nofsync.c); recorded in the results' flags.
        ...(process.env.BENCH_SERVER_PRELOAD ? { LD_PRELOAD: process.env.BENCH_SERVER_PRELOAD } : {}),
      },
    });
    return new BenchServer(proc, probeDir, ownsData);
  }

  get url(): string {
    return this.proc.url;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get dataDir(): string {
    return this.proc.dataDir;
  }

  private async command(cmd: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = String(++this.seq);
    const out = path.join(this.probeDir, `out-${id}.json`);
    writeFileSync(path.join(this.probeDir, "cmd"), cmd.replace("{id}", id));
    process.kill(this.pid, "SIGUSR2");
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(out)) {
        try {
          return JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
        } catch {
          // being written
        }
      }
      await sleep(20);
    }
    throw new Error(`server probe did not answer "${cmd}"`);
  }

  /**
   * SQLite's write-ahead log as the server's /metrics shows it (the
   * courier_sqlite_* families: writes held for the checkpoint that lets the
   * WAL start over, the time held in all, start-overs), or null on
   * PostgreSQL or when /metrics does not answer.
   */
  async wal(): Promise<WalCounters | null> {
    try {
      const res = await fetch(`${this.url}/metrics`);
      if (!res.ok) return null;
      const text = await res.text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
      const w = { holds: value("courier_sqlite_write_holds_total"), heldMs: value("courier_sqlite_writes_held_seconds_total") * 1000, restarts: value("courier_sqlite_wal_restarts_total") };
      return Object.values(w).some(Number.isNaN) ? null : w;
    } catch {
      return null;
    }
  }

  /** Full GC in the server, then its process.memoryUsage(). */
  async memory(): Promise<MemoryUsage> {
    return (await this.command("mem {id}")) as unknown as MemoryUsage;
  }

  /** Full GC in the server, then a V8 heap snapshot written to `file`. */
  async heapSnapshot(file: string): Promise<void> {
    const res = await this.command(`heap {id} ${path.resolve(file)}`, 120_000);
    if (res.error) throw new Error(String(res.error));
  }

  /** Starts watching what holds the server's main thread (bench/lib/server-probe.mjs, `watchStalls`). */
  async stallsStart(): Promise<void> {
    await this.command("stalls-start {id}");
  }

  /** What it saw since `stallsStart`. */
  async stallsStop(): Promise<ServerStalls> {
    return (await this.command("stalls-stop {id}")) as unknown as ServerStalls;
  }

  async profileStart(): Promise<void> {
    await this.command("prof-start {id}");
  }

  async profileStop(file: string): Promise<void> {
    const res = await this.command(`prof-stop {id} ${path.resolve(file)}`);
    if (res.error) throw new Error(String(res.error));
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    rmSync(this.probeDir, { recursive: true, force: true });
    if (this.ownsData) rmSync(this.ownsData, { recursive: true, force: true });
  }
}

/** A data directory the caller seeds before starting a server on it, and removes afterwards. */
export function freshDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), "courier-bench-"));
}
