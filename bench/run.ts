import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromiumVersion } from "./lib/chromium.js";
import { redisCluster, singleProcess, type BenchCluster } from "./lib/cluster.js";
import { postgresDatabase, sqliteDatabase, type BenchDatabase } from "./lib/database.js";
import { fdLimit, machineInfo } from "./lib/proc.js";
import { table, verdict, type Metric, type Suite, type SuiteResult } from "./lib/report.js";

/**
 * `npm run bench` (full, ~15 min) and `npm run bench:quick` (small N, one run
 * each, under 2 min): builds happen in the npm script; this runs the suites
 * in order, prints one table (target / measured / met or gap) and writes
 * everything to bench/results/<timestamp>.json.
 *
 *   --quick              small counts, one run each
 *   --only=a,b           only these suites (engine, throughput, transports, fanout, connections, browser, abuse, campaign)
 *   --profile            also CPU-profile the server over extra (uncounted) windows;
 *                        profiles go to bench/results/profiles-<timestamp>/
 *   --transports=ws,sse  transports suite: only these transports
 *   --light-rate=200     transports suite: also measure at this lighter rate (full runs: 200; quick: none)
 *   --connections=6      transports suite: HTTP connections each SSE / long-poll client holds at most, its stream's
 *                        included, as a browser holds 6 to one host (default 6; 0: no limit)
 *   --generator=fetch    transports suite: Node's fetch in the clients instead of the node:http stand-ins
 *   --steady-rate=1000   throughput suite: the fixed rate(s) of its steady-latency runs (default 1,000 msg/s;
 *                        several, comma-separated, e.g. 200,1000: each measured in turn)
 *   --idle=ws,sse,poll   connections suite: only these transports (default all three)
 *   --campaign-rate=300  campaign suite: the chat rate measured quiet and during a campaign (default 300 msg/s)
 *   --campaign-users=N   campaign suite: users seeded, all of whom the campaign reaches (default 10,000)
 *   --engine=postgres    servers store into PostgreSQL (default: sqlite): BENCH_DATABASE_URL's server if
 *                        set, else a throwaway one started for the run (scripts/provision/postgres.ts)
 *                        and stopped at its end; every suite gets a fresh schema
 *   --pg-fsync=on        the throwaway PostgreSQL with fsync, synchronous_commit and full_page_writes on
 *                        (default off, as the test server has them); the settings in force are recorded
 *   --cluster=2          servers run as N processes of one Courier: one PostgreSQL (the engine is forced to
 *                        postgres) and one Redis (a throwaway redis-server, scripts/provision/redis.ts), each
 *                        process with DATABASE_URL and REDIS_URL. Suites: throughput (senders on process 1,
 *                        recipients on the others; also same-process pairs for comparison) and connections
 *                        (the clients spread over the processes, memory per process); the default --only
 *                        is those two, and the others refuse
 *
 * Benchmarks report; they never fail on a number. The exit code is non-zero
 * only when a suite could not run at all.
 */
const SUITES: Record<string, () => Promise<Suite>> = {
  engine: async () => (await import("./suites/engine.js")).engine,
  throughput: async () => (await import("./suites/throughput.js")).throughput,
  transports: async () => (await import("./suites/transports.js")).transports,
  fanout: async () => (await import("./suites/fanout.js")).fanout,
  connections: async () => (await import("./suites/connections.js")).connections,
  browser: async () => (await import("./suites/browser.js")).browser,
  abuse: async () => (await import("./suites/abuse.js")).abuse,
  campaign: async () => (await import("./suites/campaign.js")).campaign,
};

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const profile = args.includes("--profile");
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = (only ?? []).filter((n) => !(n in SUITES));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(", ")}; known: ${Object.keys(SUITES).join(", ")}`);
  process.exit(2);
}

function option(name: string): string | undefined {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const clusterText = option("cluster");
const processes = clusterText === undefined ? 1 : Number(clusterText);
if (!Number.isInteger(processes) || processes < 1 || processes > 8) {
  console.error(`--cluster is a number of server processes from 1 to 8, not ${clusterText}`);
  process.exit(2);
}
/** The suites that know how to spread their clients over several processes. */
const CLUSTER_SUITES = ["throughput", "connections"];
if (processes > 1) {
  if (option("engine") === "sqlite") {
    console.error("--cluster needs PostgreSQL (processes share one database): drop --engine=sqlite");
    process.exit(2);
  }
  const refused = (only ?? []).filter((n) => !CLUSTER_SUITES.includes(n));
  if (refused.length > 0) {
    console.error(`--cluster runs only ${CLUSTER_SUITES.join(", ")}; not ${refused.join(", ")}`);
    process.exit(2);
  }
}

const engine = processes > 1 ? "postgres" : (option("engine") ?? "sqlite");
if (engine !== "sqlite" && engine !== "postgres") {
  console.error(`unknown engine: ${engine}; known: sqlite, postgres`);
  process.exit(2);
}
const pgFsync = option("pg-fsync") ?? "off";
if (pgFsync !== "on" && pgFsync !== "off") {
  console.error(`--pg-fsync is on or off, not ${pgFsync}`);
  process.exit(2);
}
if (engine === "postgres" && pgFsync === "on" && process.env.BENCH_DATABASE_URL) {
  console.warn("⚠ --pg-fsync=on applies to a throwaway PostgreSQL only: BENCH_DATABASE_URL's server keeps its own settings (recorded in the results)");
}
// Ctrl-C or a TERM: exit through process.exit, so that the exit handlers stop a throwaway PostgreSQL.
process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const resultsDir = path.join("bench", "results");
const profileDir = profile ? path.join(resultsDir, `profiles-${stamp}`) : null;
mkdirSync(resultsDir, { recursive: true });
if (profileDir) mkdirSync(profileDir, { recursive: true });

// The connections suite holds 10,000 sockets (20,000 descriptors across processes): raise the soft limit
// to the hard one for this process and every child (they inherit it). prlimit changes a running process.
const limit = fdLimit();
if (limit && limit.soft < limit.hard) {
  spawnSync("prlimit", [`--pid=${process.pid}`, `--nofile=${limit.hard}:${limit.hard}`]);
}

const started = Date.now();
const machine = { ...machineInfo(), chromium: await chromiumVersion().catch(() => null), fdLimitAfterRaise: fdLimit() };
console.info(`courier bench ${quick ? "(quick) " : ""}— ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGiB} GiB, Node ${machine.node}, Chromium ${machine.chromium ?? "?"}`);
console.info(`load average ${machine.loadAvg.join(" ")}; cpu pressure: ${machine.pressure?.cpu ?? "n/a"}`);
if (process.env.BENCH_SERVER_PRELOAD) console.warn(`⚠ what-if run: servers preload ${process.env.BENCH_SERVER_PRELOAD}; these are not Courier's figures`);
if ((machine.loadAvg[0] ?? 0) > 1.5) console.warn("⚠ the machine is busy with other work: figures will be noisy (see machine.loadAvg in the results)");

let db: BenchDatabase;
try {
  db = engine === "postgres" ? await postgresDatabase({ url: process.env.BENCH_DATABASE_URL || undefined, durable: pgFsync === "on" }) : sqliteDatabase();
} catch (error) {
  console.error(`✗ no database for the run: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
console.info(`engine: ${db.label}`);
let cluster: BenchCluster = singleProcess();
if (processes > 1) {
  try {
    cluster = await redisCluster(processes);
  } catch (error) {
    console.error(`✗ no Redis for the cluster: ${error instanceof Error ? error.message : String(error)}`);
    await db.close();
    process.exit(1);
  }
  console.info(`cluster: ${processes} server processes per suite, Redis ${(cluster.info.redis as { version: string }).version} at ${cluster.redisUrl}`);
}

const results: Record<string, (SuiteResult & { durationMs: number }) | { error: string; durationMs: number }> = {};
const names = only ?? (processes > 1 ? CLUSTER_SUITES : Object.keys(SUITES));
for (const name of names) {
  const t0 = Date.now();
  const log = (message: string) => console.info(`  [${name} ${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}`);
  console.info(`▶ ${name}`);
  try {
    const suite = await SUITES[name]!();
    await cluster.reset();
    const result = await suite({ quick, profileDir, option, log, db, cluster });
    results[name] = { ...result, durationMs: Date.now() - t0 };
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`✗ ${name} failed: ${text}`);
    results[name] = { error: text, durationMs: Date.now() - t0 };
  }
  console.info(`  ${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
await cluster.close();
await db.close();

const rows: Array<{ suite: string; metric: Metric }> = [];
for (const [suite, r] of Object.entries(results)) {
  if ("metrics" in r) for (const metric of r.metrics) rows.push({ suite, metric });
  else rows.push({ suite, metric: { id: `${suite}.error`, label: "suite failed (see above)", unit: "", value: null } });
}
console.info(`\n${table(rows)}\n`);

const file = path.join(resultsDir, `${stamp}.json`);
writeFileSync(
  file,
  JSON.stringify(
    {
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      flags: { quick, only: only ?? null, profile, engine, pgFsync: engine === "postgres" ? pgFsync : null, cluster: processes, serverPreload: process.env.BENCH_SERVER_PRELOAD ?? null },
      engine: { ...db.info, label: db.label },
      cluster: cluster.info,
      machine,
      atEnd: (({ loadAvg, pressure }) => ({ loadAvg, pressure }))(machineInfo()),
      table: rows.map(({ suite, metric }) => ({ suite, ...metric, status: verdict(metric) })),
      suites: results,
    },
    null,
    2,
  ),
);
console.info(`results: ${file}${profileDir ? `, profiles: ${profileDir}` : ""} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(Object.values(results).some((r) => "error" in r) ? 1 : 0);
