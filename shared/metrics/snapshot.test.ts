import { describe, expect, it } from "vitest";
import {
  dashboardWindow,
  dashboardWindows,
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
    expect(perSecond(win, "courier_messages_total")).toBe(9); // a: 10 in 2 s, b: 4 in the 1 s since it started; the summed total went from 150 to 114
    expect(win.delta.gauges['courier_connections{transport="ws"}']).toBe(5);
    const [p50] = percentiles(win, "courier_delivery_seconds", { transport: "ws" });
    expect(p50!.value).toBeCloseTo(0.5 + 0.5 * (3 / 10)); // rank 7 of 14: 4 fast (b) then 10 slow (a)
  });

  it("knows a restart by startedAt even when the new counters already passed the old ones", () => {
    const p1 = poll(10_000, [node("b", 0, 10_000, 50, hist([0, 5, 0, 0]))]);
    const p2 = poll(12_000, [node("b", 11_000, 12_000, 54, hist([4, 5, 0, 0]))]);
    const win = dashboardWindow(p1, p2)!;
    expect(perSecond(win, "courier_messages_total")).toBe(54); // all 54 are new, not 4, in the 1 s since it started
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
    expect(perSecond(win, "courier_messages_total")).toBe(6); // new: 6 in the 1 s since it started; late: unknown
    expect(win.delta.gauges['courier_connections{transport="ws"}']).toBe(7);
    expect(percentiles(win, "courier_delivery_seconds").map((p) => p.value)).toEqual([null, null, null]);
    expect(dashboardWindow(undefined, p2)).toBeNull();
    expect(dashboardWindow(p2, p2)).toBeNull();
  });

  // One process answering the polls reads itself fresh; the others come from rows up to
  // METRICS_PUBLISH_MS old, so the same process may be read fresh, then from an older row.
  it("an older reading of a process (its row, after a fresh reading) is no restart: no increase, gauges of the newest", () => {
    const fresh = poll(10_000, [node("a", 0, 10_000, 100_000, hist([50, 0, 0, 0]), 3)]);
    const stale = poll(12_000, [node("a", 0, 9_000, 99_990, hist([49, 0, 0, 0]), 1)]);
    const win = dashboardWindow(fresh, stale)!;
    expect(perSecond(win, "courier_messages_total")).toBe(0); // was 99,990 / 2 s
    expect(win.delta.counters.courier_messages_total ?? 0).toBe(0);
    expect(percentiles(win, "courier_delivery_seconds").map((p) => p.value)).toEqual([null, null, null]);
    expect(win.delta.gauges['courier_connections{transport="ws"}']).toBe(3);
  });

  it("fresh and stale readings of one process, a second one publishing at its own phase: the rate stays true, each message counted once", () => {
    // a and b: 10 messages/s each and one delivery per message (10 ms). Rows every 5 s (a at 0,
    // 5 s…, b at 1.25 s, 6.25 s…); the polls, every 2 s, land on a, then b, then a…
    const reading = (name: string, at: number, answering: boolean, phase: number) => {
      const t = answering ? at : at - ((((at - phase) % 5_000) + 5_000) % 5_000);
      return node(name, 0, t, t / 100, hist([t / 100, 0, 0, 0], t / 10_000));
    };
    const polls: DashboardResponse[] = [];
    for (let at = 20_000, i = 0; at <= 60_000; at += 2_000, i++) polls.push(poll(at, [reading("a", at, i % 2 === 0, 0), reading("b", at, i % 2 === 1, 1_250)]));
    const windows = dashboardWindows(polls);
    expect(windows).toHaveLength(polls.length - 1);
    const rates = windows.map(({ win }) => perSecond(win, "courier_messages_total"));
    for (const r of rates.slice(2)) expect(r).toBeCloseTo(20, 6); // never 0, 10, 40 or a lifetime's total
    const counted = windows.reduce((n, { win }) => n + (win.delta.counters.courier_messages_total ?? 0), 0);
    const observed = windows.reduce((n, { win }) => n + (win.delta.histograms['courier_delivery_seconds{transport="ws"}']?.count ?? 0), 0);
    // a: fresh at 20 s and 60 s; b: its row of 16.25 s to its fresh reading at 58 s.
    expect(counted).toBeCloseTo(400 + 417.5, 6);
    expect(observed).toBeCloseTo(counted, 6);
  });

  it("a restart after fresh and stale readings counts from zero; a late row of the old process is ignored", () => {
    const p1 = poll(10_000, [node("a", 0, 10_000, 100, hist([0, 0, 0, 0]))]);
    const p2 = poll(12_000, [node("a", 0, 9_500, 95, hist([0, 0, 0, 0]))]);
    const p3 = poll(14_000, [node("a", 13_000, 14_000, 8, hist([0, 0, 0, 0]))]);
    const p4 = poll(16_000, [node("a", 0, 11_000, 110, hist([0, 0, 0, 0]))]);
    const rates = dashboardWindows([p1, p2, p3, p4]).map(({ win }) => perSecond(win, "courier_messages_total"));
    expect(rates).toEqual([0, 8, 8]); // 8 in the 1 s since it started again; the old process's row brings nothing
  });

  it("a process that stopped publishing drops out of the rates instead of showing its last one for a minute", () => {
    const polls = [10_000, 12_000, 14_000, 16_000, 18_000, 20_000].map((at) => poll(at, [node("a", 0, Math.min(at, 14_000), Math.min(at, 14_000) / 100, hist([0, 0, 0, 0]))]));
    expect(dashboardWindows(polls).map(({ win }) => perSecond(win, "courier_messages_total"))).toEqual([10, 10, 10, 10, 0]); // its newest (14 s) is older than twice its span by 20 s;
  });
});
