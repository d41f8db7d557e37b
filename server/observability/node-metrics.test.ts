import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { quantile } from "../../shared/metrics/snapshot.js";
import { openTestStorage, testEngine } from "../testing/engines.js";
import { NodeSnapshots, snapshotOf } from "./node-metrics.js";

/** The publisher on the engine the tests run on: what lands in node_metrics, on a timer, and what happens when storage fails. */

const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

function registryWithTraffic() {
  const registry = new Registry();
  const pushed = new Counter({ name: "courier_entries_pushed_total", help: "h", labelNames: ["transport"], registers: [registry] });
  const delivery = new Histogram({ name: "courier_delivery_seconds", help: "h", labelNames: ["transport"], buckets: [0.1, 1], registers: [registry] });
  new Gauge({ name: "courier_connections", help: "h", labelNames: ["transport"], registers: [registry] }).set({ transport: "ws" }, 3);
  new Counter({ name: "nodejs_something_total", help: "h", registers: [registry] }).inc();
  return { registry, pushed, delivery };
}

interface Logged {
  level: "warn" | "info";
  msg: string;
}
const logger = (into: Logged[]) => ({
  warn: (_: object, msg: string) => into.push({ level: "warn", msg }),
  info: (_: object, msg: string) => into.push({ level: "info", msg }),
});

describe(`node metrics snapshots (${testEngine})`, () => {
  it("turns the registry's courier_* families into a snapshot: counters and gauges by label set, cumulative histogram buckets", async () => {
    const { registry, pushed, delivery } = registryWithTraffic();
    pushed.inc({ transport: "ws" }, 5);
    pushed.inc({ transport: "sse" });
    for (const s of [0.05, 0.5, 0.7, 9]) delivery.observe({ transport: "ws" }, s);
    const snap = await snapshotOf(registry);
    expect(snap.counters).toEqual({ 'courier_entries_pushed_total{transport="ws"}': 5, 'courier_entries_pushed_total{transport="sse"}': 1 });
    expect(snap.gauges).toEqual({ 'courier_connections{transport="ws"}': 3 });
    const h = snap.histograms['courier_delivery_seconds{transport="ws"}']!;
    expect(h).toEqual({ le: [0.1, 1], counts: [1, 3, 4], sum: expect.closeTo(10.25), count: 4 });
    expect(quantile(h, 0.5)).toBeCloseTo(0.1 + 0.9 * (1 / 2));
  });

  it("publishes on start and every publishMs, replacing its row; once more on close, then no more", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { storage, dispose } = await openTestStorage(testEngine);
    disposers.push(dispose);
    const { registry, pushed } = registryWithTraffic();
    let now = 1_000_000;
    const snapshots = new NodeSnapshots({ registry, storage, node: "node-a", clock: () => now, publishMs: 2000, log: logger([]) });
    disposers.push(() => snapshots.close());
    const rows = () => storage.read(async (r) => r.nodeMetrics.since(0));

    snapshots.start();
    await snapshots.publish();
    expect((await rows()).map((r) => [r.node, r.at, r.startedAt])).toEqual([["node-a", 1_000_000, 1_000_000]]);

    pushed.inc({ transport: "ws" }, 7);
    now += 2000;
    await vi.advanceTimersByTimeAsync(2000);
    await snapshots.publish();
    const [row] = await rows();
    expect(row!.at).toBe(1_002_000);
    expect(JSON.parse(row!.data).counters['courier_entries_pushed_total{transport="ws"}']).toBe(7);

    pushed.inc({ transport: "ws" }, 1);
    now += 500;
    await snapshots.close();
    const [last] = await rows();
    expect(last!.at).toBe(1_002_500);
    expect(JSON.parse(last!.data).counters['courier_entries_pushed_total{transport="ws"}']).toBe(8);
    now += 10_000;
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await rows())[0]!.at).toBe(1_002_500);
  });

  it("deletes rows of nodes gone for an hour when it publishes", async () => {
    const { storage, dispose } = await openTestStorage(testEngine);
    disposers.push(dispose);
    const now = 10_000_000;
    await storage.write(async (tx) => {
      await tx.nodeMetrics.put("gone", now - 3_600_001, 0, "{}");
      await tx.nodeMetrics.put("quiet", now - 3_000_000, 0, "{}");
    });
    const snapshots = new NodeSnapshots({ registry: new Registry(), storage, node: "node-a", clock: () => now, publishMs: 0, log: logger([]) });
    await snapshots.publish();
    const nodes = (await storage.read(async (r) => r.nodeMetrics.since(0))).map((r) => r.node).sort();
    expect(nodes).toEqual(["node-a", "quiet"]);
  });

  it("never throws when storage fails: logs once until a publish works again", async () => {
    const { storage, dispose } = await openTestStorage(testEngine);
    disposers.push(dispose);
    const logged: Logged[] = [];
    let failing = true;
    // The real storage, with its writes refused while `failing` (a database that is down).
    const flaky = Object.create(storage) as typeof storage;
    flaky.write = (fn) => (failing ? Promise.reject(new Error("database down")) : storage.write(fn));
    const snapshots = new NodeSnapshots({ registry: new Registry(), storage: flaky, node: "node-a", clock: () => 5, publishMs: 0, log: logger(logged) });
    await snapshots.publish();
    await snapshots.publish();
    expect(logged).toEqual([{ level: "warn", msg: expect.stringContaining("not published") }]);
    failing = false;
    await snapshots.publish();
    expect(logged.map((l) => l.level)).toEqual(["warn", "info"]);
    expect(await storage.read(async (r) => r.nodeMetrics.since(0))).toHaveLength(1);
  });
});
