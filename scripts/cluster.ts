import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { cleanupNow, onCleanup } from "./provision/cleanup.js";
import { COURIER_CONF, startNginx } from "./provision/nginx.js";
import { freePort } from "./provision/ports.js";
import { startPostgres } from "./provision/postgres.js";
import { startRedis } from "./provision/redis.js";
import { interruptChildren, Interrupted, isAlive, ProvisionError, seconds, sleepSync } from "./provision/system.js";

const USAGE = `usage: npm run cluster [-- --processes=N]

Starts a local Courier of N server processes (default 3, at most 8) on one
throwaway PostgreSQL and one throwaway Redis, with nginx in front
(deploy/nginx/courier.conf) on http://127.0.0.1:$CLUSTER_PORT (default 8080,
or a free port when 8080 is taken). Everything listens on 127.0.0.1 only.
Ctrl-C (or SIGTERM) stops all of it and removes its temp dirs.

Environment: CLUSTER_PORT; LOG_LEVEL for the servers (default warn); any other
server setting (RATE_*, HEARTBEAT_MS, …) is passed to every process.`;

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DEFAULT_PORT = 8080;
const MAX_PROCESSES = 8;
/** Lines of each process's output kept to show when it exits. */
const TAIL_LINES = 40;

function say(message: string): void {
  console.info(`cluster: ${message}`);
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): { processes: number } | "help" {
  let processes = 3;
  for (const arg of argv[0] === "--" ? argv.slice(1) : argv) {
    if (arg === "-h" || arg === "--help") return "help";
    const match = /^--processes=(\d+)$/.exec(arg);
    if (!match) throw new UsageError(`unknown argument ${arg}`);
    processes = Number(match[1]);
    if (processes < 1 || processes > MAX_PROCESSES) throw new UsageError(`--processes must be 1 to ${MAX_PROCESSES}, not ${match[1]}`);
  }
  return { processes };
}

/** CLUSTER_PORT if set (it must be free), else 8080 if free, else any free port. */
async function nginxPort(): Promise<number> {
  const configured = process.env.CLUSTER_PORT;
  if (configured) {
    const port = Number(configured);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ProvisionError(`CLUSTER_PORT is ${configured}: give a port number (1-65535).`);
    if (!(await isFree(port))) throw new ProvisionError(`CLUSTER_PORT ${port} is taken on 127.0.0.1: choose another or unset it.`);
    return port;
  }
  if (await isFree(DEFAULT_PORT)) return DEFAULT_PORT;
  const port = await freePort();
  say(`port ${DEFAULT_PORT} is taken: nginx listens on ${port} instead (set CLUSTER_PORT to choose)`);
  return port;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** One Courier server process: `node --import tsx server/server.ts`, its output prefixed on ours and its last lines kept. */
class CourierProcess {
  readonly tail: string[] = [];
  readonly child: ChildProcess;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(
    readonly index: number,
    readonly port: number,
    dataDir: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ["--import", "tsx", "server/server.ts"], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", ...env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir },
      // Its own process group: a terminal Ctrl-C reaches only this script, which stops the processes itself, in order.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => {
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        console.info(`[courier ${index}] ${line}`);
      });
    }
    this.child.once("exit", (code, signal) => (this.exit = { code, signal }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  describeExit(): string {
    const how = this.exit?.signal ? `was killed by ${this.exit.signal}` : `exited with code ${this.exit?.code ?? "?"}`;
    const lines = this.tail.length ? `; its last ${this.tail.length} lines:\n${this.tail.map((l) => `  | ${l}`).join("\n")}` : "; it wrote nothing";
    return `courier ${this.index} (pid ${this.pid}, port ${this.port}) ${how}${lines}`;
  }

  /** Until /api/health answers 200; fails when the process exits first. */
  async healthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) throw new ProvisionError(this.describeExit());
      try {
        if ((await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2_000) })).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new ProvisionError(`courier ${this.index} did not answer /api/health within ${timeoutMs / 1000} s`);
  }
}

/**
 * Stops the processes: SIGTERM to each (the server drains, at most 10 s), then
 * SIGKILL to whatever is left of each one's process group. Synchronous, for
 * the exit handler.
 */
function stopProcesses(procs: readonly CourierProcess[]): void {
  const live = procs.filter((p) => isAlive(p.pid));
  for (const p of live) p.child.kill("SIGTERM");
  const deadline = Date.now() + 12_000;
  while (live.some((p) => isAlive(p.pid)) && Date.now() < deadline) sleepSync(50);
  for (const p of procs) {
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      // ESRCH: the group is gone.
    }
  }
  if (live.length) say(`stopped ${live.length} Courier process${live.length === 1 ? "" : "es"}`);
}

let stopping = false;

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args === "help") {
    console.info(USAGE);
    return 0;
  }
  const started = performance.now();
  const port = await nginxPort();
  const postgres = await startPostgres();
  const redis = await startRedis();

  const dir = mkdtempSync(join(tmpdir(), "courier-cluster-"));
  const procs: CourierProcess[] = [];
  // Registered after PostgreSQL and Redis, so it runs before they stop.
  onCleanup(() => {
    stopProcesses(procs);
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { DATABASE_URL: postgres.url, REDIS_URL: redis.url, TRUST_PROXY: "1" };
  for (let i = 1; i <= args.processes; i++) {
    const dataDir = join(dir, `data-${i}`);
    mkdirSync(dataDir);
    procs.push(new CourierProcess(i, await freePort(), dataDir, env));
  }
  // All at once: the first to take the migration lock creates the schema, the others find it.
  await Promise.all(procs.map((p) => p.healthy(60_000)));

  const nginx = await startNginx({ upstreams: procs.map((p) => `127.0.0.1:${p.port}`), port });
  for (const p of procs) {
    p.child.once("exit", () => {
      if (stopping) return;
      console.error(`cluster: ${p.describeExit()}`);
      const left = procs.filter((q) => !q.exit).length;
      if (left > 0) say(`${left} of ${procs.length} processes still serve through nginx; Ctrl-C stops the cluster`);
      else {
        say("no Courier process is left: stopping");
        stopping = true;
        process.exit(1);
      }
    });
  }

  say(`Courier is up at ${nginx.url} (${seconds(started)})`);
  say(`  nginx         pid ${nginx.pid}, config ${COURIER_CONF}`);
  for (const p of procs) say(`  courier ${p.index}     pid ${p.pid}, ${p.url}`);
  say(`  PostgreSQL    ${postgres.url}`);
  say(`  Redis         ${redis.url}`);
  say(`  requests log  ${nginx.accessLog} (which process answered each)`);
  say("Ctrl-C stops everything.");
  // Runs until a signal; the exit handler (provision/cleanup.ts) stops nginx, the processes, Redis and PostgreSQL, in that order.
  return new Promise<number>(() => undefined);
}

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping everything`);
  // Provisioning commands still running (initdb, pg_ctl, apt-get) first.
  await interruptChildren(signal, 10_000);
  process.exit(128 + (constants.signals[signal] ?? 0));
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, (s: NodeJS.Signals) => void onSignal(s));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof Interrupted || stopping) return;
    if (error instanceof UsageError) {
      console.error(`cluster: ${error.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`cluster: ${error instanceof ProvisionError ? error.message : error}`);
    stopping = true;
    cleanupNow();
    process.exit(1);
  },
);
