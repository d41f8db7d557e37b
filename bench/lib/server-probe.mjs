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
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import process from "node:process";
import v8 from "node:v8";
import vm from "node:vm";

const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc");
  let session = null;
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
