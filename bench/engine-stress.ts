import { SyncEngine } from "../shared/sync/engine.js";
import { MemoryLog, MemoryStore, shuffle } from "../shared/sync/testing.js";

/**
 * The write-ups' stress test on the pure engine with real timers: 100 entries
 * pushed fully shuffled within 500 ms, some lost on the way. Reports pulls,
 * entries and bytes pulled against the minimum (the lost entries only).
 */
export async function engineStress(runs = 20) {
  let pulls = 0;
  let pulledEntries = 0;
  let lost = 0;
  let misordered = 0;
  for (let run = 0; run < runs; run++) {
    const server = new MemoryLog();
    const store = new MemoryStore();
    const engine = new SyncEngine({ source: server, store });
    await engine.start();
    const entries = shuffle(server.append("chat", 100), run + 1);
    // Every fifth run loses three pushes: they must come by pull.
    const dropped = run % 5 === 0 ? new Set(entries.slice(0, 3).map((e) => e.v)) : new Set<number>();
    lost += dropped.size;
    // Scheduled against absolute times so timer slop cannot stretch the 500 ms window.
    entries.forEach((entry, i) => {
      if (!dropped.has(entry.v)) setTimeout(() => engine.receive([entry]), (i * 500) / entries.length);
    });
    await new Promise((r) => setTimeout(r, 2000));
    await engine.idle();
    const applied = store.appliedVersions("chat");
    if (applied.length !== 100 || applied.some((v, i) => v !== i + 1)) misordered++;
    pulls += engine.stats.pulls;
    pulledEntries += engine.stats.pulledEntries;
    engine.stop();
  }
  return { runs, pulls, lostPushes: lost, pulledEntries, runsNotExactlyOnceInOrder: misordered };
}
