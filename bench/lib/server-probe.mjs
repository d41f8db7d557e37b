// Preloaded into bench server children only (NODE_OPTIONS=--import=<this file>,
// set by bench/lib/server.ts), never into the product. Plain JavaScript because
// it loads before tsx is registered.
//
// On SIGUSR2 it reads a command from $BENCH_PROBE_DIR/cmd and writes the answer to
// $BENCH_PROBE_DIR/out-<id>.json:
//   mem <id>              full GC, then process.memoryUsage()
//   prof-start <id>       starts the V8 CPU profiler (inspector, in-process)
//   prof-stop <id> <file> stops it and writes the .cpuprofile to <file>
//   heap <id> <file>      full GC, then a V8 heap snapshot to <file> (open in Chrome DevTools → Memory)
//   stalls-start <id>     starts watching the main thread: event-loop delay, GC pauses, WAL syncs
//   stalls-stop <id>      stops, answers what it saw (see `stalls` below)
import fs, { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { syncBuiltinESMExports } from "node:module";
import { monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks";
import process from "node:process";
import v8 from "node:v8";
import vm from "node:vm";

const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc");
  let session = null;
  const stalls = watchStalls();
  const answer = (id, body) => writeFileSync(`${dir}/out-${id}.json`, JSON.stringify(body));
  process.on("SIGUSR2", () => {
    const [cmd, id, file] = readFileSync(`${dir}/cmd`, "utf8").trim().split(" ");
    try {
      if (cmd === "mem") {
        gc();
        gc();
        answer(id, { ...process.memoryUsage(), cpu: process.cpuUsage() });
      } else if (cmd === "heap") {
        gc();
        gc();
        answer(id, { ok: true, file: v8.writeHeapSnapshot(file) });
      } else if (cmd === "stalls-start") {
        stalls.start();
        answer(id, { ok: true });
      } else if (cmd === "stalls-stop") {
        answer(id, stalls.stop());
      } else if (cmd === "prof-start") {
        session = new Session();
        session.connect();
        session.post("Profiler.enable", () =>
          session.post("Profiler.setSamplingInterval", { interval: 200 }, () => session.post("Profiler.start", () => answer(id, { ok: true }))),
        );
      } else if (cmd === "prof-stop" && session) {
        session.post("Profiler.stop", (err, result) => {
          if (!err) writeFileSync(file, JSON.stringify(result.profile));
          session.disconnect();
          session = null;
          answer(id, err ? { error: String(err) } : { ok: true, file });
        });
      } else {
        answer(id, { error: `unknown command ${cmd}` });
      }
    } catch (error) {
      answer(id, { error: String(error) });
    }
  });
}

/**
 * What held the server's main thread, or its answers, over a window: the
 * event loop's delay (a 5 ms timer's lateness: a task that ran long), V8's GC
 * pauses, and each `fdatasync` (Courier's WAL sync runs on libuv's thread
 * pool, server/storage/sqlite/wal-sync.ts; a write is answered after it). The
 * sync is timed by wrapping `fs.fdatasync` before the server imports it.
 */
function watchStalls() {
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let on = false;
  let pauses = [];
  let syncs = [];
  const original = fs.fdatasync;
  fs.fdatasync = function (fd, callback) {
    if (!on || typeof callback !== "function") return original.call(this, fd, callback);
    const t0 = performance.now();
    return original.call(this, fd, (...args) => {
      syncs.push(performance.now() - t0);
      callback(...args);
    });
  };
  syncBuiltinESMExports();
  const gcs = new PerformanceObserver((list) => {
    if (on) for (const e of list.getEntries()) pauses.push(e.duration);
  });
  gcs.observe({ entryTypes: ["gc"] });
  const summary = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (q) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 100) / 100 : 0);
    return { count: s.length, totalMs: Math.round(s.reduce((a, b) => a + b, 0)), p50: at(0.5), p99: at(0.99), max: at(1), over10ms: s.filter((x) => x > 10).length };
  };
  return {
    start() {
      loop.reset();
      loop.enable();
      pauses = [];
      syncs = [];
      on = true;
    },
    stop() {
      on = false;
      loop.disable();
      return {
        loopDelay: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), samples: loop.count },
        gc: summary(pauses),
        syncs: summary(syncs),
      };
    },
  };
}
