import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { machineInfo } from "./lib/proc.js";
import { fmt } from "./lib/report.js";
import { median } from "./lib/stats.js";

/**
 * Before and after in one run: `npm run bench:compare -- --base=<revision>`
 * checks the base revision out in a temporary git worktree, and runs
 * bench/run.ts alternately there and in this tree (base, new, base, new …),
 * each from its own repository root, with its own bench code, server and
 * built web app, on the same machine in the same hour. Then it prints the
 * figures side by side (the median over rounds — nearest rank, as the suites
 * take theirs: of an even count, the lower middle one — and each round's
 * value) and
 * writes bench/results/compare-<timestamp>.json, with every run's results
 * file copied to bench/results/compare-<timestamp>/.
 *
 *   --base=<rev>        the revision to compare with (required), e.g. 0c4926c or HEAD
 *   --new=<rev>         the "new" side is this revision, in a worktree of its own too (default: this
 *                       work tree as it is, uncommitted changes included; if it changes during the
 *                       comparison, that is reported)
 *   --only=a,b          suites (default: throughput)
 *   --rounds=N          base + new pairs (default 2)
 *   --quick             bench/run.ts --quick in both
 *   --no-build          do not build the web app in this tree (a worktree, which has none, is built anyway)
 *   --pause=S           seconds of quiet before each run (default 10)
 *   --run-timeout=M     minutes one run may take before it is stopped (default 60)
 *   --allow-version-drift  run even when better-sqlite3 differs between the trees
 *   --from=<file>       print a saved compare-*.json instead of running (with --markdown: as Markdown)
 *   --markdown          also print the table as Markdown (for docs/benchmarks.md)
 *   -- <args>           passed on to bench/run.ts in both trees (e.g. -- --profile --transports=ws)
 *
 * A worktree gets this tree's node_modules as a symlink when its
 * dependencies are a subset (checked: every package it names is installed
 * here; a different installed version is reported, and refused for
 * better-sqlite3 unless allowed). `-- --engine=postgres` runs both on
 * PostgreSQL (each run a fresh schema of BENCH_DATABASE_URL's server, or a
 * throwaway server of its own), if the base's bench knows the option. The worktrees are removed at the end (`git worktree remove
 * --force`), also on failure or Ctrl-C. Only processes this script started
 * are stopped, by their process group.
 */

interface Options {
  base: string;
  only: string[];
  rounds: number;
  quick: boolean;
  build: boolean;
  pauseS: number;
  runTimeoutMin: number;
  allowVersionDrift: boolean;
  newRevision: string | null;
  markdown: boolean;
  from: string | null;
  passthrough: string[];
}

function parseArgs(argv: string[]): Options {
  const dash = argv.indexOf("--");
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const passthrough = dash >= 0 ? argv.slice(dash + 1) : [];
  const value = (name: string) => own.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const known = ["base", "new", "only", "rounds", "quick", "no-build", "pause", "run-timeout", "allow-version-drift", "markdown", "from"];
  const unknown = own.filter((a) => !known.includes(a.replace(/^--/, "").split("=")[0]!));
  if (unknown.length > 0) fail(`unknown option(s): ${unknown.join(" ")} (options for bench/run.ts go after --)`);
  const number = (name: string, fallback: number, min: number) => {
    const text = value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const from = value("from") ?? null;
  const base = value("base");
  if (!base && !from) fail("--base=<revision> is required, e.g. npm run bench:compare -- --base=0c4926c");
  return {
    base: base ?? "",
    only: (value("only") ?? "throughput")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    rounds: Math.floor(number("rounds", 2, 1)),
    quick: own.includes("--quick"),
    build: !own.includes("--no-build"),
    pauseS: number("pause", 10, 0),
    runTimeoutMin: number("run-timeout", 60, 1),
    allowVersionDrift: own.includes("--allow-version-drift"),
    newRevision: value("new") ?? null,
    markdown: own.includes("--markdown"),
    from,
    passthrough,
  };
}

function fail(message: string): never {
  console.error(`bench:compare: ${message}`);
  process.exit(2);
}

function log(message: string): void {
  console.info(`compare: ${message}`);
}

function git(args: string[], cwd = process.cwd()): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

// ── worktrees ───────────────────────────────────────────────────────────────

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, "utf8"));
}

function field(value: unknown, ...keys: (string | number)[]): unknown {
  let at = value;
  for (const key of keys) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

/** Whether this tree's node_modules can serve the base: every package the base names is installed, at which versions. */
function checkDependencies(dir: string, allowDrift: boolean): string[] {
  const pkg = readJson(path.join(dir, "package.json"));
  const names = Object.keys({ ...stringRecord(field(pkg, "dependencies")), ...stringRecord(field(pkg, "devDependencies")) });
  const lock = existsSync(path.join(dir, "package-lock.json")) ? readJson(path.join(dir, "package-lock.json")) : null;
  const missing: string[] = [];
  const drift: string[] = [];
  for (const name of names) {
    const installed = path.join("node_modules", name, "package.json");
    if (!existsSync(installed)) {
      missing.push(name);
      continue;
    }
    const have = field(readJson(installed), "version");
    const locked = field(lock, "packages", `node_modules/${name}`, "version");
    if (typeof locked === "string" && have !== locked) drift.push(`${name} ${String(locked)} (base lock) vs ${String(have)} (installed here)`);
  }
  if (missing.length > 0) fail(`${dir} needs packages this tree does not have installed (${missing.join(", ")}): node_modules cannot be shared`);
  const native = drift.filter((d) => d.startsWith("better-sqlite3 "));
  if (native.length > 0 && !allowDrift) fail(`${native[0]}: the storage engine under test differs; --allow-version-drift to run anyway`);
  return drift;
}

// ── runs ────────────────────────────────────────────────────────────────────

interface Tree {
  name: "base" | "new";
  dir: string;
}

let current: ChildProcess | null = null;

/** Runs a command in `cwd` in its own process group, lines prefixed; resolves with its exit code and output. */
function runIn(cwd: string, command: string, args: string[], prefix: string, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], detached: true, env: process.env });
    current = child;
    let output = "";
    let pending = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) console.info(`${prefix} ${line}`);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    const timer = setTimeout(() => {
      console.error(`${prefix} took longer than ${Math.round(timeoutMs / 60_000)} min: stopping it`);
      stopGroup(child);
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      current = null;
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      current = null;
      if (pending) console.info(`${prefix} ${pending}`);
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** SIGTERM to the child's process group (the run and the servers, relay and workers it started), SIGKILL 15 s later if still there. */
function stopGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  setTimeout(() => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }, 15_000).unref();
}

interface RunRecord {
  tree: "base" | "new";
  round: number;
  exitCode: number;
  /** The run's results, copied into the compare folder (null: the run wrote none). */
  file: string | null;
  profiles: string | null;
  durationMs: number;
  /** The machine's load average when the run started and ended, and its CPU pressure at the start (from the results). */
  load: { start: unknown; end: unknown; cpuPressure: unknown } | null;
  /** What code ran: the commit, or for this (live) tree its state at the start of the run. */
  code: LiveState | { head: string };
}

interface LiveState {
  head: string;
  dirty: boolean;
  diffstat: string;
  /** Hash of HEAD, the diff against it and the untracked files' contents: equal means the same code. */
  fingerprint: string;
}

/** This tree as it is now. */
function liveState(): LiveState {
  const head = git(["rev-parse", "HEAD"]);
  const hash = createHash("sha1").update(head).update(execFileSync("git", ["diff", "HEAD", "--binary"], { maxBuffer: 256 * 2 ** 20 }));
  const untracked = git(["ls-files", "--others", "--exclude-standard", "-z"]).split("\0").filter(Boolean).sort();
  for (const file of untracked) hash.update(file).update(existsSync(file) ? readFileSync(file) : "");
  const dirty = git(["status", "--porcelain"]) !== "";
  return { head, dirty, diffstat: dirty ? git(["diff", "HEAD", "--shortstat"]) : "", fingerprint: hash.digest("hex") };
}

/** The results file (and profile folder) a bench/run.ts run names in its last lines, copied into `into`. */
function collect(tree: Tree, output: string, into: string, tag: string): { file: string | null; profiles: string | null } {
  const match = /^results: (\S+\.json)(?:, profiles: (\S+?))?(?: \(\d+ s\))?$/m.exec(output);
  if (!match) return { file: null, profiles: null };
  const source = path.resolve(tree.dir, match[1]!);
  if (!existsSync(source)) return { file: null, profiles: null };
  const file = path.join(into, `${tag}.json`);
  cpSync(source, file);
  let profiles: string | null = null;
  if (match[2] && existsSync(path.resolve(tree.dir, match[2]))) {
    profiles = path.join(into, `${tag}-profiles`);
    cpSync(path.resolve(tree.dir, match[2]), profiles, { recursive: true });
  }
  return { file, profiles };
}

// ── figures ─────────────────────────────────────────────────────────────────

interface Figure {
  key: string;
  label: string;
  unit: string;
  /** Which way is better, for the change column's sign. */
  better: "higher" | "lower" | null;
  value: number | null;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function medianOf(values: unknown): number | null {
  if (!Array.isArray(values)) return null;
  const ns = values.map(num).filter((n): n is number => n !== null);
  return ns.length > 0 ? median(ns) : null;
}

function betterFor(unit: string): Figure["better"] {
  if (/\/s$/.test(unit) || unit === "×") return "higher";
  if (unit === "ms" || unit === "KB" || unit === "% core" || unit === "%" || unit === "pulls") return "lower";
  return null;
}

/** The figures of one run: the key ones of the throughput, fan-out and transports suites spelled out, then the other suites' table rows. */
function figuresOf(results: unknown): Figure[] {
  const out: Figure[] = [];
  const add = (key: string, label: string, unit: string, better: Figure["better"], value: number | null) => out.push({ key, label, unit, better, value });
  const tp = field(results, "suites", "throughput", "details");
  if (tp) {
    const steadyRate = (num(field(tp, "config", "rate")) ?? 1000).toLocaleString("en-US");
    for (const target of ["courier", "relay"] as const) {
      const t = field(tp, target);
      const name = target === "courier" ? "Courier" : "relay";
      const sat = field(t, "saturation");
      const each = (k: string) => (Array.isArray(sat) ? sat.map((r: unknown) => field(r, k)) : []);
      const cpu = (k: string) => (Array.isArray(sat) ? sat.map((r: unknown) => field(r, "cpu", "processes", k)) : []);
      add(`tp.${target}.accepted`, `1:1 at saturation, ${name}: accepted/s (median of runs)`, "msg/s", "higher", medianOf(each("acceptedPerS")));
      add(`tp.${target}.delivered`, `1:1 at saturation, ${name}: delivered/s (median of runs)`, "msg/s", "higher", medianOf(each("deliveredPerS")));
      add(`tp.${target}.sat.p50`, `send → recipient at saturation, ${name}, p50`, "ms", "lower", num(field(t, "saturationLatency", "median")));
      add(`tp.${target}.sat.p99`, `send → recipient at saturation, ${name}, p99`, "ms", "lower", num(field(t, "saturationLatency", "p99")));
      add(`tp.${target}.steady.p50`, `send → recipient at ${steadyRate} msg/s, ${name}, p50`, "ms", "lower", num(field(t, "steadyLatency", "median")));
      add(`tp.${target}.steady.p99`, `send → recipient at ${steadyRate} msg/s, ${name}, p99`, "ms", "lower", num(field(t, "steadyLatency", "p99")));
      add(`tp.${target}.cpu`, `${name} process CPU at saturation (median of runs)`, "% core", null, medianOf(cpu(target)));
    }
    // As the suite reports it: per run min(accepted, delivered), the median over runs.
    const rate = (target: string) => {
      const sat = field(tp, target, "saturation");
      return Array.isArray(sat) ? medianOf(sat.map((r: unknown) => Math.min(num(field(r, "acceptedPerS")) ?? 0, num(field(r, "deliveredPerS")) ?? 0))) : null;
    };
    const c = rate("courier");
    const r = rate("relay");
    add("tp.ratio", "Courier / relay, same run", "×", "higher", c !== null && r !== null && r > 0 ? Math.round((c / r) * 1000) / 1000 : null);
  }
  const fan = field(results, "suites", "fanout", "details");
  if (fan) {
    add("fan.spaced.p50", "500-member group, one message: last member, p50", "ms", "lower", num(field(fan, "spaced", "last", "median")));
    add("fan.spaced.p99", "500-member group, one message: last member, p99", "ms", "lower", num(field(fan, "spaced", "last", "p99")));
    add("fan.rate.deliveries", "group at 10 msg/s: member deliveries/s", "deliveries/s", "higher", num(field(fan, "rate", "deliveriesPerS")));
    add("fan.saturate.deliveries", "group at saturation: member deliveries/s", "deliveries/s", "higher", num(field(fan, "saturate", "deliveriesPerS")));
  }
  const tr = field(results, "suites", "transports", "details");
  if (tr) {
    for (const t of ["ws", "sse", "poll"]) {
      if (!field(tr, t)) continue;
      add(`tr.${t}.p50`, `send → applied at 1,000 msg/s, ${t}, p50`, "ms", "lower", num(field(tr, t, "applied", "median")));
      add(`tr.${t}.p99`, `send → applied at 1,000 msg/s, ${t}, p99`, "ms", "lower", num(field(tr, t, "applied", "p99")));
      if (field(tr, t, "light")) {
        add(`tr.${t}.light.p50`, `send → applied at ${String(field(tr, t, "light", "rate"))} msg/s, ${t}, p50`, "ms", "lower", num(field(tr, t, "light", "applied", "median")));
        add(`tr.${t}.light.p99`, `send → applied at ${String(field(tr, t, "light", "rate"))} msg/s, ${t}, p99`, "ms", "lower", num(field(tr, t, "light", "applied", "p99")));
      }
    }
  }
  // Every other suite's table rows as they are (the three above are spelled out instead).
  const table = field(results, "table");
  if (Array.isArray(table)) {
    for (const row of table) {
      if (["throughput", "fanout", "transports"].includes(String(field(row, "suite")))) continue;
      const unit = String(field(row, "unit") ?? "");
      add(`table.${String(field(row, "id"))}`, `${String(field(row, "suite"))}: ${String(field(row, "label"))}`, unit, betterFor(unit), num(field(row, "value")));
    }
  }
  return out;
}

interface Compared {
  key: string;
  label: string;
  unit: string;
  better: Figure["better"];
  base: { values: (number | null)[]; median: number | null };
  new: { values: (number | null)[]; median: number | null };
  /** (new − base) / base, in %. */
  changePct: number | null;
}

function compare(runs: RunRecord[]): Compared[] {
  const byKey = new Map<string, Compared>();
  for (const run of runs) {
    const figures = run.file ? figuresOf(readJson(run.file)) : [];
    for (const f of figures) {
      let row = byKey.get(f.key);
      if (!row) {
        row = { key: f.key, label: f.label, unit: f.unit, better: f.better, base: { values: [], median: null }, new: { values: [], median: null }, changePct: null };
        byKey.set(f.key, row);
      }
      row[run.tree].values.push(f.value);
    }
  }
  for (const row of byKey.values()) {
    for (const side of [row.base, row.new]) {
      const ns = side.values.filter((v): v is number => v !== null);
      side.median = ns.length > 0 ? Math.round(median(ns) * 1000) / 1000 : null;
    }
    if (row.base.median !== null && row.new.median !== null && row.base.median !== 0) {
      row.changePct = Math.round(((row.new.median - row.base.median) / Math.abs(row.base.median)) * 1000) / 10;
    }
  }
  return [...byKey.values()];
}

function changeText(row: Compared): string {
  if (row.changePct === null) return "";
  const sign = row.changePct > 0 ? "+" : "";
  const verdict = row.better === null || Math.abs(row.changePct) < 0.05 ? "" : (row.changePct > 0) === (row.better === "higher") ? " better" : " worse";
  return `${sign}${row.changePct.toFixed(1)} %${verdict}`;
}

function valuesText(values: (number | null)[]): string {
  return values.map((v) => fmt(v)).join(" / ");
}

function printTable(rows: Compared[], markdown: boolean): void {
  const head = ["figure", "base (median; each round)", "new (median; each round)", "change"];
  const body = rows.map((r) => [
    r.label,
    `${fmt(r.base.median)} ${r.unit} (${valuesText(r.base.values)})`,
    `${fmt(r.new.median)} ${r.unit} (${valuesText(r.new.values)})`,
    changeText(r),
  ]);
  if (markdown) {
    console.info(`| ${head.join(" | ")} |`);
    console.info(`| ${head.map(() => "---").join(" | ")} |`);
    for (const cells of body) console.info(`| ${cells.join(" | ")} |`);
    return;
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.info([line(head), widths.map((w) => "─".repeat(w)).join("  "), ...body.map(line)].join("\n"));
}

// ── main ────────────────────────────────────────────────────────────────────

const options = parseArgs(process.argv.slice(2));

if (options.from) {
  const saved = readJson(options.from);
  const rows = field(saved, "figures");
  if (!Array.isArray(rows)) fail(`${options.from} is not a compare-*.json`);
  console.info(`base ${String(field(saved, "base", "commit"))}, new ${String(field(saved, "new", "describe"))}; ${String(field(saved, "rounds"))} rounds of ${String(field(saved, "only"))}`);
  printTable(rows as Compared[], options.markdown);
  process.exit(0);
}

if (!existsSync(path.join("bench", "run.ts")) || !existsSync("package.json")) fail("run it from the repository root");
function commitOf(revision: string): string {
  try {
    return git(["rev-parse", "--verify", `${revision}^{commit}`]);
  } catch {
    fail(`${revision} is not a revision of this repository`);
  }
}
const baseCommit = commitOf(options.base);
const baseSubject = git(["log", "-1", "--format=%s", baseCommit]);
const newCommit = options.newRevision ? commitOf(options.newRevision) : null;
const liveAtStart = newCommit ? null : liveState();
const describe = newCommit ? newCommit.slice(0, 7) : `${liveAtStart!.head.slice(0, 7)}${liveAtStart!.dirty ? ` + work tree (${liveAtStart!.diffstat || "untracked files"})` : ""}`;

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const resultsDir = path.join("bench", "results");
const into = path.join(resultsDir, `compare-${stamp}`);
mkdirSync(into, { recursive: true });

const tmp = mkdtempSync(path.join(tmpdir(), "courier-compare-"));
const worktrees: string[] = [];
let cleaned = false;

function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  if (current) stopGroup(current);
  for (const dir of worktrees) {
    try {
      git(["worktree", "remove", "--force", dir]);
    } catch (error) {
      console.error(`compare: git worktree remove failed (${error instanceof Error ? error.message : String(error)}); run: git worktree remove --force ${dir}`);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  // Interrupted before any run wrote results: leave no empty folder behind.
  if (existsSync(into) && readdirSync(into).length === 0) rmSync(into, { recursive: true });
}
process.on("exit", cleanup);
/** Ctrl-C or TERM: stop the run under way (its whole group) and wait for it, up to 20 s, before the worktrees go. */
const interrupted = (code: number) => {
  const child = current;
  if (!child) process.exit(code);
  child.once("close", () => process.exit(code));
  stopGroup(child);
  setTimeout(() => process.exit(code), 20_000).unref();
};
process.once("SIGINT", () => interrupted(130));
process.once("SIGTERM", () => interrupted(143));

/** A detached worktree of `commit` under the temp dir, with this tree's node_modules if they serve it. */
function worktree(name: string, commit: string): string {
  const dir = path.join(tmp, name);
  log(`${name} ${commit.slice(0, 7)} "${git(["log", "-1", "--format=%s", commit])}" → worktree ${dir}`);
  git(["worktree", "add", "--detach", dir, commit]);
  worktrees.push(dir);
  const engine = options.passthrough.find((a) => a.startsWith("--engine="));
  if (engine && engine !== "--engine=sqlite" && !readFileSync(path.join(dir, "bench", "run.ts"), "utf8").includes(engine)) {
    fail(`${name} ${commit.slice(0, 7)}: its bench/run.ts has no ${engine}; compare on SQLite (drop --engine)`);
  }
  for (const d of checkDependencies(dir, options.allowVersionDrift)) {
    console.warn(`compare: ⚠ ${name}: version differs: ${d}`);
    drift.push(`${name}: ${d}`);
  }
  symlinkSync(path.resolve("node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const started = Date.now();
const runs: RunRecord[] = [];
const drift: string[] = [];
let failed = false;
let liveChanged = false;
try {
  const trees: Tree[] = [
    { name: "base", dir: worktree("base", baseCommit) },
    { name: "new", dir: newCommit ? worktree("new", newCommit) : process.cwd() },
  ];
  const needsWeb = options.only.some((s) => s !== "engine");
  if (needsWeb) {
    for (const tree of trees) {
      if (!options.build && existsSync(path.join(tree.dir, "dist", "web", "index.html"))) continue;
      log(`building the web app in the ${tree.name} tree`);
      const built = await runIn(tree.dir, "npm", ["run", "build", "--silent"], `[build ${tree.name}]`, 10 * 60_000);
      if (built.code !== 0) throw new Error(`npm run build failed in the ${tree.name} tree (exit ${built.code})`);
    }
  }
  const runArgs = ["--import", "tsx", "bench/run.ts", `--only=${options.only.join(",")}`, ...(options.quick ? ["--quick"] : []), ...options.passthrough];
  for (let round = 1; round <= options.rounds; round++) {
    for (const tree of trees) {
      if (options.pauseS > 0) await sleep(options.pauseS * 1000);
      const tag = `${tree.name}-r${round}`;
      // The live tree may be edited while we measure: each run records what it ran.
      const state = tree.name === "new" && !newCommit ? liveState() : null;
      if (state && state.fingerprint !== liveAtStart!.fingerprint && !liveChanged) {
        liveChanged = true;
        console.warn(`compare: ⚠ this tree changed since the comparison started (now ${state.head.slice(0, 7)}, ${state.diffstat || "clean"}): the new runs measure different code; pin it with --new=<revision>`);
      }
      log(`${tag}: node ${runArgs.join(" ")} (in ${tree.dir}); load average ${machineInfo().loadAvg.join(" ")}`);
      const t0 = Date.now();
      const { code, output } = await runIn(tree.dir, process.execPath, runArgs, `[${tag}]`, options.runTimeoutMin * 60_000);
      const { file, profiles } = collect(tree, output, into, tag);
      const results = file ? readJson(file) : null;
      const load = results ? { start: field(results, "machine", "loadAvg"), end: field(results, "atEnd", "loadAvg"), cpuPressure: field(results, "machine", "pressure", "cpu") } : null;
      runs.push({ tree: tree.name, round, exitCode: code, file, profiles, durationMs: Date.now() - t0, load, code: state ?? { head: tree.name === "base" ? baseCommit : newCommit! } });
      if (!file) console.error(`compare: ${tag} wrote no results (exit ${code})`);
    }
  }
} catch (error) {
  console.error(`compare: ${error instanceof Error ? error.message : String(error)}`);
  failed = true;
} finally {
  cleanup();
}

const rows = compare(runs);
console.info("");
console.info(`base ${baseCommit.slice(0, 7)} against ${describe}; ${options.rounds} round(s) of ${options.only.join(",")}${options.quick ? " (quick)" : ""}, alternating base, new`);
if (liveChanged) console.warn("⚠ this tree changed during the comparison: see runs[].code in the JSON");
printTable(rows, false);
if (options.markdown) {
  console.info("");
  printTable(rows, true);
}
const file = path.join(resultsDir, `compare-${stamp}.json`);
writeFileSync(
  file,
  JSON.stringify(
    {
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      base: { revision: options.base, commit: baseCommit, subject: baseSubject },
      new: newCommit ? { revision: options.newRevision, commit: newCommit, describe } : { live: liveAtStart, changedDuringRun: liveChanged, describe },
      only: options.only,
      rounds: options.rounds,
      quick: options.quick,
      passthrough: options.passthrough,
      versionDrift: drift,
      machine: machineInfo(),
      runs,
      figures: rows,
    },
    null,
    2,
  ),
);
console.info(`\ncompare: ${file} (runs' results in ${into}/; ${((Date.now() - started) / 60_000).toFixed(1)} min)`);
process.exit(failed || runs.some((r) => !r.file) ? 1 : 0);
