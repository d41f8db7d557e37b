import type { Entry } from "../../shared/protocol/index.js";
import { SyncEngine } from "../../shared/sync/engine.js";
import { MemoryLog, MemoryStore, seeded, shuffle } from "../../shared/sync/testing.js";
import type { Metric, Suite } from "../lib/report.js";
import { median } from "../lib/stats.js";

/**
 * 6. The shared sync engine (shared/sync/engine.ts) alone, in this process,
 * with the in-memory server log and store of shared/sync/testing.ts.
 *
 * Throughput: N entries handed to `receive` in pushes of 10, yielding to the
 * event loop every 500 entries (as network reads would); the clock runs from
 * the first push until the store holds version N and the engine is idle.
 * Inputs: in order; shuffled within windows of 100 (pushes overtaking each
 * other); fully shuffled (the worst case: the buffer holds almost everything
 * before the first apply); every entry twice (retransmissions). The engine
 * runs with its real settings, so a hole that stays open past settleMs is
 * pulled from the in-memory log; pulls are reported.
 *
 * Stress (kept from the former engine-stress bench): 100 entries pushed fully
 * shuffled within 500 ms on real timers, every fifth run losing three pushes;
 * pulls and entries pulled against the minimum (the lost entries).
 */
export const engine: Suite = async (ctx) => {
  const n = ctx.quick ? 20_000 : 100_000;
  const runs = ctx.quick ? 1 : 3;
  const inputs: Record<string, (entries: Entry[], run: number) => Entry[]> = {
    "in order": (e) => e,
    "shuffled within 100": (e, run) => windowShuffle(e, 100, run + 1),
    "fully shuffled": (e, run) => shuffle(e, run + 1),
    "each twice": (e) => e.flatMap((entry, i) => (i >= 50 ? [entry, e[i - 50]!] : [entry])).concat(e.slice(-50)),
  };
  const metrics: Metric[] = [];
  const details: Record<string, unknown> = { entries: n, runs };
  await throughputRun(n, (e) => e); // warm-up: JIT
  for (const [name, make] of Object.entries(inputs)) {
    const rates: number[] = [];
    let pulls = 0;
    for (let run = 0; run < runs; run++) {
      const r = await throughputRun(n, (e) => make(e, run));
      rates.push(r.perSecond);
      pulls += r.pulls;
    }
    ctx.log(`${name}: ${rates.map((r) => Math.round(r)).join(", ")} entries/s, ${pulls} pulls`);
    details[name] = { perSecond: rates.map(Math.round), pulls };
    metrics.push({
      id: `engine.${name.replace(/\W+/g, "-")}`,
      label: `sync engine, ${name}`,
      unit: "entries/s",
      value: Math.round(median(rates)),
      note: `${n.toLocaleString("en-US")} entries, ${runs > 1 ? `median of ${runs}` : "1 run"}${pulls ? `; ${pulls} pulls` : ""}`,
    });
  }
  const stress = await stressRuns(ctx.quick ? 5 : 20);
  ctx.log(`stress: ${JSON.stringify(stress)}`);
  details.stress = stress;
  metrics.push({
    id: "engine.stress.exactlyOnce",
    label: "engine stress: runs applied exactly once, in order",
    unit: `of ${stress.runs}`,
    value: stress.runs - stress.runsNotExactlyOnceInOrder,
    target: { op: ">=", value: stress.runs },
  });
  metrics.push({
    id: "engine.stress.pulledEntries",
    label: "engine stress: entries pulled for lost pushes",
    unit: "entries",
    value: stress.pulledEntries,
    note: `${stress.lostPushes} lost (the minimum), ${stress.pulls} pulls`,
  });
  return { metrics, details };
};

function windowShuffle(entries: Entry[], size: number, seed: number): Entry[] {
  const random = seeded(seed);
  const out: Entry[] = [];
  for (let i = 0; i < entries.length; i += size) out.push(...shuffle(entries.slice(i, i + size), random));
  return out;
}

async function throughputRun(n: number, order: (entries: Entry[]) => Entry[]): Promise<{ perSecond: number; pulls: number }> {
  const log = new MemoryLog();
  const store = new MemoryStore();
  const engine = new SyncEngine({ source: log, store });
  await engine.start();
  const input = order(log.append("chat", n));
  const t0 = performance.now();
  for (let i = 0; i < input.length; i += 10) {
    engine.receive(input.slice(i, i + 10));
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  while (store.versions.chat < n) await new Promise((r) => setImmediate(r));
  await engine.idle();
  const ms = performance.now() - t0;
  const pulls = engine.stats.pulls;
  engine.stop();
  if (store.applied.length !== n) throw new Error(`applied ${store.applied.length} of ${n}`);
  return { perSecond: (n / ms) * 1000, pulls };
}

async function stressRuns(runs: number) {
  let pulls = 0;
  let pulledEntries = 0;
  let pulledBytes = 0;
  let lost = 0;
  let lostBytes = 0;
  let misordered = 0;
  for (let run = 0; run < runs; run++) {
    const server = new MemoryLog();
    const store = new MemoryStore();
    const engine = new SyncEngine({ source: server, store });
    await engine.start();
    const entries = shuffle(server.append("chat", 100), run + 1);
    // Every fifth run loses three pushes: they must come by pull.
    const dropped = run % 5 === 0 ? entries.slice(0, 3) : [];
    const droppedVs = new Set(dropped.map((e) => e.v));
    lost += dropped.length;
    lostBytes += JSON.stringify(dropped).length;
    // Scheduled against absolute times so timer slop cannot stretch the 500 ms window.
    entries.forEach((entry, i) => {
      if (!droppedVs.has(entry.v)) setTimeout(() => engine.receive([entry]), (i * 500) / entries.length);
    });
    const deadline = performance.now() + 5000;
    await new Promise((r) => setTimeout(r, 520));
    while (store.versions.chat < 100 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await engine.idle();
    const applied = store.appliedVersions("chat");
    if (applied.length !== 100 || applied.some((v, i) => v !== i + 1)) misordered++;
    pulls += engine.stats.pulls;
    pulledEntries += engine.stats.pulledEntries;
    pulledBytes += engine.stats.pulledBytes;
    engine.stop();
  }
  return { runs, pulls, lostPushes: lost, pulledEntries, pulledBytes, minimumBytes: lostBytes, runsNotExactlyOnceInOrder: misordered };
}
