import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { SourceMapConsumer } from "source-map-js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotFunction {
  /** `name (file:line)`, repository-relative where possible. */
  fn: string;
  selfPct: number;
  selfMs: number;
}

/**
 * Self time per function of a V8 .cpuprofile (from `--cpu-prof` or the bench
 * probe): the time samples landed in the function itself, callees excluded,
 * summed over every call site. `(idle)` is time the event loop waited.
 */
export function topSelfTime(file: string, limit = 20): { totalMs: number; idlePct: number; top: HotFunction[] } {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // The delta before sample i+1 is the time sample i stood for.
    const ms = (deltas[i + 1] ?? 0) / 1000;
    selfMs.set(samples[i]!, (selfMs.get(samples[i]!) ?? 0) + ms);
  }
  const root = process.cwd();
  const byFn = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of selfMs) {
    const frame = byId.get(id)!.callFrame;
    total += ms;
    if (frame.functionName === "(idle)") idle += ms;
    const where = frame.url ? `${frame.url.startsWith("file://") ? path.relative(root, new URL(frame.url).pathname) : frame.url}:${frame.lineNumber + 1}` : "";
    const key = `${frame.functionName || "(anonymous)"}${where ? ` (${where})` : ""}`;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
  }
  const busy = total - idle;
  const top = [...byFn.entries()]
    .filter(([fn]) => !fn.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([fn, ms]) => ({ fn, selfMs: Math.round(ms), selfPct: Math.round((ms / Math.max(1, busy)) * 1000) / 10 }));
  return { totalMs: Math.round(total), idlePct: Math.round((idle / Math.max(1, total)) * 1000) / 10, top };
}

/** By file (or library): where the busy time goes at a coarser grain. */
export function selfTimeByFile(file: string, limit = 15): Array<{ file: string; selfPct: number }> {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const byFile = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < samples.length; i++) {
    const frame = byId.get(samples[i]!)!.callFrame;
    if (frame.functionName === "(idle)") continue;
    const ms = (deltas[i + 1] ?? 0) / 1000;
    busy += ms;
    let key = frame.url || frame.functionName;
    const nm = key.indexOf("node_modules/");
    if (nm >= 0) key = `node_modules/${key.slice(nm + 13).split("/").slice(0, key.slice(nm + 13).startsWith("@") ? 2 : 1).join("/")}`;
    else if (key.startsWith("file://")) key = path.relative(process.cwd(), new URL(key).pathname);
    byFile.set(key, (byFile.get(key) ?? 0) + ms);
  }
  return [...byFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([f, ms]) => ({ file: f, selfPct: Math.round((ms / Math.max(1, busy)) * 1000) / 10 }));
}

/**
 * Native frames (better-sqlite3's `run`/`get`/`all`, `writev`) carry no
 * source location; this charges their self time to the nearest JS caller
 * with one (e.g. which store method's statement, or the transaction commit).
 */
export function nativeCallers(file: string, natives = ["run", "get", "all", "iterate", "writev"], limit = 12): Array<{ native: string; caller: string; selfPct: number }> {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const out = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!)!;
    if (node.callFrame.functionName === "(idle)") continue;
    const ms = (deltas[i + 1] ?? 0) / 1000;
    busy += ms;
    if (!natives.includes(node.callFrame.functionName) || node.callFrame.url) continue;
    let p = parent.get(node.id);
    while (p !== undefined && !byId.get(p)!.callFrame.url.startsWith("file://")) p = parent.get(p);
    const frame = p !== undefined ? byId.get(p)!.callFrame : null;
    const caller = frame ? `${frame.functionName || "(anonymous)"} (${path.relative(process.cwd(), new URL(frame.url).pathname)}:${frame.lineNumber + 1})` : "?";
    const key = `${node.callFrame.functionName}\u0000${caller}`;
    out.set(key, (out.get(key) ?? 0) + ms);
  }
  return [...out.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([k, ms]) => {
      const [native, caller] = k.split("\u0000") as [string, string];
      return { native, caller, selfPct: Math.round((ms / Math.max(1, busy)) * 1000) / 10 };
    });
}

/**
 * A Chromium profile of the built web app (CDP `Profiler`), with each frame
 * of the minified bundle mapped back through its source map (dist/web/assets
 * /*.js.map, vite builds them) to the original file and line: self time by
 * original function and by source file (node_modules packages as one).
 */
export function browserProfileSummary(file: string, distDir = "dist/web", limit = 15) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const maps = new Map<string, SourceMapConsumer | null>();
  const consumer = (url: string): SourceMapConsumer | null => {
    if (!maps.has(url)) {
      const local = path.join(distDir, new URL(url).pathname);
      maps.set(url, existsSync(`${local}.map`) ? new SourceMapConsumer(JSON.parse(readFileSync(`${local}.map`, "utf8"))) : null);
    }
    return maps.get(url)!;
  };
  const label = new Map<number, { fn: string; file: string }>();
  const where = (node: ProfileNode): { fn: string; file: string } => {
    const cached = label.get(node.id);
    if (cached) return cached;
    const f = node.callFrame;
    let out = { fn: f.functionName || "(anonymous)", file: f.url || f.functionName };
    if (f.url.includes("/assets/")) {
      const pos = consumer(f.url)?.originalPositionFor({ line: f.lineNumber + 1, column: f.columnNumber ?? 0 });
      if (pos?.source) {
        const src = pos.source.replace(/^(\.\.\/)+/, "");
        const nm = src.lastIndexOf("node_modules/");
        const fileKey = nm >= 0 ? `node_modules/${src.slice(nm + 13).split("/").slice(0, src.slice(nm + 13).startsWith("@") ? 2 : 1).join("/")}` : src;
        out = { fn: `${pos.name ?? f.functionName ?? "(anonymous)"} (${src}:${pos.line})`, file: fileKey };
      }
    }
    label.set(node.id, out);
    return out;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!)!;
    const ms = (deltas[i + 1] ?? 0) / 1000;
    total += ms;
    if (node.callFrame.functionName === "(idle)") {
      idle += ms;
      continue;
    }
    const w = where(node);
    byFn.set(w.fn, (byFn.get(w.fn) ?? 0) + ms);
    byFile.set(w.file, (byFile.get(w.file) ?? 0) + ms);
  }
  const busy = Math.max(1, total - idle);
  const top = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([k, ms]) => ({ name: k, selfMs: Math.round(ms), selfPct: Math.round((ms / busy) * 1000) / 10 }));
  return { file, totalMs: Math.round(total), idlePct: Math.round((idle / Math.max(1, total)) * 1000) / 10, topFunctions: top(byFn), byFile: top(byFile) };
}

export interface LongTask {
  /** Ms from the profile's start. */
  atMs: number;
  ms: number;
  /** The outermost of Courier's own frames (server/, shared/) under the samples, by share of the task. */
  entries: Array<{ fn: string; pct: number }>;
  /** The innermost of Courier's own frames, by share (e.g. which store method's statement). */
  inner: Array<{ fn: string; pct: number }>;
  /** GC's share of the task. */
  gcPct: number;
}

/**
 * The main thread's long tasks: stretches of consecutive busy samples (GC
 * included) of at least `thresholdMs`, each with what ran in it. An event
 * loop held that long holds every answer due meanwhile, so these are what a
 * latency's tail is made of.
 */
export function longTasks(file: string, thresholdMs = 10, limit = 12): { count: number; totalMs: number; byEntry: Array<{ fn: string; ms: number }>; longest: LongTask[] } {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const root = process.cwd();
  const own = (id: number): string | null => {
    const f = byId.get(id)!.callFrame;
    if (!f.url.startsWith("file://")) return null;
    const rel = path.relative(root, new URL(f.url).pathname);
    if (!/^(server|shared)\//.test(rel)) return null;
    return `${f.functionName || "(anonymous)"} (${rel}:${f.lineNumber + 1})`;
  };
  const frames = new Map<number, { outer: string; inner: string }>();
  const framesOf = (id: number) => {
    let got = frames.get(id);
    if (!got) {
      let outer: string | null = null;
      let inner: string | null = null;
      for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
        const name = own(p);
        if (name) {
          inner ??= name;
          outer = name;
        }
      }
      const f = byId.get(id)!.callFrame.functionName;
      got = { outer: outer ?? f, inner: inner ?? f };
      frames.set(id, got);
    }
    return got;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const tasks: LongTask[] = [];
  const byEntry = new Map<string, number>();
  let at = 0;
  let start = -1;
  let startAt = 0;
  const close = (end: number, endAt: number) => {
    const ms = endAt - startAt;
    if (start >= 0 && ms >= thresholdMs) {
      const outer = new Map<string, number>();
      const inner = new Map<string, number>();
      let gc = 0;
      for (let i = start; i < end; i++) {
        const d = (deltas[i + 1] ?? 0) / 1000;
        if (byId.get(samples[i]!)!.callFrame.functionName === "(garbage collector)") gc += d;
        const f = framesOf(samples[i]!);
        outer.set(f.outer, (outer.get(f.outer) ?? 0) + d);
        inner.set(f.inner, (inner.get(f.inner) ?? 0) + d);
        byEntry.set(f.outer, (byEntry.get(f.outer) ?? 0) + d);
      }
      const top = (m: Map<string, number>) =>
        [...m.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([fn, x]) => ({ fn, pct: Math.round((x / ms) * 100) }));
      tasks.push({ atMs: Math.round(startAt), ms: Math.round(ms * 10) / 10, entries: top(outer), inner: top(inner), gcPct: Math.round((gc / ms) * 100) });
    }
    start = -1;
  };
  for (let i = 0; i < samples.length; i++) {
    const idle = byId.get(samples[i]!)!.callFrame.functionName === "(idle)";
    if (idle) close(i, at);
    else if (start < 0) {
      start = i;
      startAt = at;
    }
    at += (deltas[i + 1] ?? 0) / 1000;
  }
  close(samples.length, at);
  return {
    count: tasks.length,
    totalMs: Math.round(tasks.reduce((n, t) => n + t.ms, 0)),
    byEntry: [...byEntry.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([fn, ms]) => ({ fn, ms: Math.round(ms) })),
    longest: [...tasks].sort((a, b) => b.ms - a.ms).slice(0, limit),
  };
}

/** What the results JSON keeps of a profile: the file, top self time, native frames by caller, by file. */
export function profileSummary(file: string) {
  try {
    return { file, ...topSelfTime(file, 15), nativeCallers: nativeCallers(file, undefined, 8), byFile: selfTimeByFile(file, 10), longTasks: longTasks(file) };
  } catch (error) {
    return { file, error: String(error) };
  }
}

// `node --import tsx bench/lib/profile-summary.ts <file.cpuprofile> [limit]`
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node --import tsx bench/lib/profile-summary.ts <file.cpuprofile> [limit] [--browser]");
    process.exit(1);
  }
  if (process.argv.includes("--browser")) {
    const b = browserProfileSummary(file, "dist/web", 25);
    console.info(`total ${b.totalMs} ms, idle ${b.idlePct}%`);
    for (const f of b.topFunctions) console.info(`${String(f.selfPct).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.name}`);
    console.info("\nby file:");
    for (const f of b.byFile) console.info(`${String(f.selfPct).padStart(5)}%  ${f.name}`);
    process.exit(0);
  }
  const summary = topSelfTime(file, Number(process.argv[3] ?? 25));
  console.info(`total ${summary.totalMs} ms, idle ${summary.idlePct}%`);
  for (const f of summary.top) console.info(`${String(f.selfPct).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.fn}`);
  console.info("\nnative frames by nearest caller:");
  for (const f of nativeCallers(file)) console.info(`${String(f.selfPct).padStart(5)}%  ${f.native} ← ${f.caller}`);
  console.info("\nby file:");
  for (const f of selfTimeByFile(file)) console.info(`${String(f.selfPct).padStart(5)}%  ${f.file}`);
  const long = longTasks(file);
  console.info(`\nlong tasks (≥ 10 ms): ${long.count}, ${long.totalMs} ms; by outermost own frame:`);
  for (const e of long.byEntry) console.info(`${String(e.ms).padStart(6)} ms  ${e.fn}`);
  console.info("longest:");
  for (const t of long.longest) {
    const list = (xs: Array<{ fn: string; pct: number }>) => xs.map((x) => `${x.pct}% ${x.fn}`).join("; ");
    console.info(`${String(t.ms).padStart(6)} ms at ${t.atMs} ms, gc ${t.gcPct}%: ${list(t.entries)}\n         inner: ${list(t.inner)}`);
  }
}
