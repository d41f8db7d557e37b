import { describe, expect, it } from "vitest";
import {
  dashboardWindow,
  diffHistogram,
  familyKeys,
  increase,
  metricKey,
  parseKey,
  percentiles,
  perSecond,
  quantile,
  rate,
  sumBy,
  sumFamily,
  sumSnapshots,
  type DashboardResponse,
  type HistogramValue,
  type MetricsSnapshot,
  type NodeMetrics,
} from "./snapshot.js";

const LE = [0.1, 0.5, 1];
/** A histogram from per-bucket (not cumulative) counts: one per bound, then the +Inf bucket. */
function hist(perBucket: number[], sum = 0, le = LE): HistogramValue {
  const counts: number[] = [];
  perBucket.reduce((acc, n) => (counts.push(acc + n), acc + n), 0);
  return { le, counts, sum, count: counts[counts.length - 1]! };
}
const snap = (s: Partial<MetricsSnapshot>): MetricsSnapshot => ({ counters: {}, gauges: {}, histograms: {}, ...s });

describe("keys", () => {
  it("sorts labels and round-trips escaped values", () => {
    const key = metricKey("courier_webpush_total", { outcome: "accepted", category: 'a"b\\c\nd' });
    expect(key).toBe('courier_webpush_total{category="a\\"b\\\\c\\nd",outcome="accepted"}');
    expect(parseKey(key)).toEqual({ family: "courier_webpush_total", labels: { category: 'a"b\\c\nd', outcome: "accepted" } });
    expect(metricKey("courier_messages_total")).toBe("courier_messages_total");
    expect(parseKey("courier_messages_total")).toEqual({ family: "courier_messages_total", labels: {} });
  });

  it("lists a family's label sets across counters, gauges and histograms, and no other family's", () => {
    const s = snap({
      counters: { 'courier_x_total{transport="ws"}': 1, 'courier_x_total{transport="sse"}': 2, courier_xy_total: 3 },
      gauges: { 'courier_connections{transport="ws"}': 4 },
      histograms: { 'courier_delivery_seconds{transport="poll"}': hist([1, 0, 0, 0]) },
    });
    expect(familyKeys(s, "courier_x_total").map((k) => k.labels.transport)).toEqual(["sse", "ws"]);
    expect(familyKeys(s, "courier_delivery_seconds")).toEqual([
      { key: 'courier_delivery_seconds{transport="poll"}', labels: { transport: "poll" } },
    ]);
    expect(sumFamily(s.counters, "courier_x_total")).toBe(3);
    expect(sumFamily(s.counters, "courier_x_total", { transport: "ws" })).toBe(1);
    expect(sumBy(s.counters, "courier_x_total", "transport")).toEqual({ ws: 1, sse: 2 });
  });
});

describe("quantile (as Prometheus's histogram_quantile)", () => {
  it("interpolates linearly inside the bucket holding the rank, the first bucket starting at 0", () => {
    // 10 observations: 2 in (0, 0.1], 6 in (0.1, 0.5], 2 in (0.5, 1].
    const h = hist([2, 6, 2, 0]);
    expect(quantile(h, 0.5)).toBeCloseTo(0.1 + 0.4 * (3 / 6)); // rank 5: 3rd of 6 in the second bucket
    expect(quantile(h, 0.1)).toBeCloseTo(0.05); // rank 1: half-way through the first bucket
    expect(quantile(h, 0.95)).toBeCloseTo(0.5 + 0.5 * (1.5 / 2));
    expect(quantile(h, 1)).toBeCloseTo(1);
  });

  it("answers the highest finite bound when the rank falls in +Inf", () => {
    expect(quantile(hist([0, 0, 1, 9]), 0.99)).toBe(1);
  });

  it("is null for an empty histogram or none", () => {
    expect(quantile(hist([0, 0, 0, 0]), 0.5)).toBeNull();
    expect(quantile(undefined, 0.5)).toBeNull();
  });
});

describe("differences and resets", () => {
  it("a counter that went down restarted: its increase is its new value", () => {
    expect(increase(10, 14)).toBe(4);
    expect(increase(10, 3)).toBe(3);
    expect(increase(undefined, 3)).toBe(3);
    const prev = snap({ counters: { c: 100 } });
    expect(rate(prev, snap({ counters: { c: 110 } }), "c", 5)).toBe(2);
    expect(rate(prev, snap({ counters: { c: 10 } }), "c", 5)).toBe(2);
    expect(rate(undefined, prev, "c", 5)).toBeNull();
    expect(rate(prev, prev, "c", 0)).toBeNull();
  });

  it("a histogram's difference holds only the new observations; one that went down is taken whole", () => {
    const prev = hist([5, 5, 0, 0], 2);
    const next = hist([5, 5, 10, 0], 9);
    const d = diffHistogram(prev, next);
    expect(d).toEqual({ le: LE, counts: [0, 0, 10, 10], sum: 7, count: 10 });
    expect(quantile(d, 0.5)).toBeCloseTo(0.75); // the old fast observations no longer weigh
    const restarted = hist([1, 0, 0, 0], 0.05);
    expect(diffHistogram(prev, restarted)).toEqual(restarted);
  });
});

describe("sums", () => {
  it("adds counters, gauges and histogram buckets of every process", () => {
    const a = snap({ counters: { c: 1 }, gauges: { g: 2 }, histograms: { h: hist([1, 0, 0, 0], 0.05) } });
    const b = snap({ counters: { c: 3, d: 1 }, gauges: { g: 5 }, histograms: { h: hist([0, 0, 2, 0], 1.5) } });
    expect(sumSnapshots([a, b])).toEqual({
      counters: { c: 4, d: 1 },
      gauges: { g: 7 },
      histograms: { h: { le: LE, counts: [1, 1, 3, 3], sum: 1.55, count: 3 } },
    });
    expect(sumSnapshots([])).toEqual({ counters: {}, gauges: {}, histograms: {} });
  });

  it("merges histograms with different bounds on their union, never inventing observations", () => {
    const a = hist([1, 1], 0, [1]); // one ≤ 1, one above
    const b = hist([2, 0, 0], 0, [0.5, 2]);
    const s = sumSnapshots([snap({ histograms: { h: a } }), snap({ histograms: { h: b } })]).histograms.h!;
    expect(s.le).toEqual([0.5, 1, 2]);
    expect(s.counts).toEqual([2, 3, 3, 4]); // a's count at 0.5 is unknown: 0; at 2 it is its count at 1
    expect(s.count).toBe(4);
  });
});

describe("two dashboard polls", () => {
  const node = (name: string, startedAt: number, at: number, c: number, h: HistogramValue, conns = 0): NodeMetrics => ({
    node: name,
    at,
    startedAt,
    metrics: snap({
      counters: { 'courier_messages_total': c },
      gauges: { 'courier_connections{transport="ws"}': conns },
      histograms: { 'courier_delivery_seconds{transport="ws"}': h },
    }),
  });
  const poll = (at: number, nodes: NodeMetrics[]): DashboardResponse => ({ at, nodes, total: sumSnapshots(nodes.map((n) => n.metrics)) });

  it("takes rates process by process, so one process restarting does not read as the cluster going backwards", () => {
    const p1 = poll(10_000, [node("a", 0, 10_000, 100, hist([10, 0, 0, 0])), node("b", 0, 10_000, 50, hist([0, 5, 0, 0]))]);
    // b restarted at 11 s and has sent 4 since; a sent 10 more, slowly.
    const p2 = poll(12_000, [node("a", 0, 12_000, 110, hist([10, 0, 10, 0]), 3), node("b", 11_000, 12_000, 4, hist([4, 0, 0, 0]), 2)]);
    const win = dashboardWindow(p1, p2)!;
    expect(win.seconds).toBe(2);
    expect(perSecond(win, "courier_messages_total")).toBe(7); // (10 + 4) / 2 s; the summed total went from 150 to 114
    expect(win.delta.gauges['courier_connections{transport="ws"}']).toBe(5);
    const [p50] = percentiles(win, "courier_delivery_seconds", { transport: "ws" });
    expect(p50!.value).toBeCloseTo(0.5 + 0.5 * (3 / 10)); // rank 7 of 14: 4 fast (b) then 10 slow (a)
  });

  it("knows a restart by startedAt even when the new counters already passed the old ones", () => {
    const p1 = poll(10_000, [node("b", 0, 10_000, 50, hist([0, 5, 0, 0]))]);
    const p2 = poll(12_000, [node("b", 11_000, 12_000, 54, hist([4, 5, 0, 0]))]);
    const win = dashboardWindow(p1, p2)!;
    expect(perSecond(win, "courier_messages_total")).toBe(27); // all 54 are new, not 4
    expect(percentiles(win, "courier_delivery_seconds", {}, [0.5])[0]!.value).toBeCloseTo(0.1 + 0.4 * (0.5 / 5)); // rank 4.5 of 9
  });

  it("counts a process that started after the earlier poll from zero, and not one whose rows were only late", () => {
    const p1 = poll(10_000, [node("a", 0, 10_000, 100, hist([1, 0, 0, 0]))]);
    const p2 = poll(12_000, [
      node("a", 0, 12_000, 100, hist([1, 0, 0, 0])),
      node("new", 11_000, 12_000, 6, hist([0, 0, 0, 0])),
      node("late", 1_000, 12_000, 5_000, hist([0, 0, 0, 0]), 7),
    ]);
    const win = dashboardWindow(p1, p2)!;
    expect(perSecond(win, "courier_messages_total")).toBe(3);
    expect(win.delta.gauges['courier_connections{transport="ws"}']).toBe(7);
    expect(percentiles(win, "courier_delivery_seconds").map((p) => p.value)).toEqual([null, null, null]);
    expect(dashboardWindow(undefined, p2)).toBeNull();
    expect(dashboardWindow(p2, p2)).toBeNull();
  });
});
