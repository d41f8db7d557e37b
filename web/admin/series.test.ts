import { describe, expect, it } from "vitest";
import { emptySnapshot, metricKey, type DashboardResponse, type HistogramValue, type MetricsSnapshot } from "../../shared/metrics/snapshot.js";
import {
  arrivalRate,
  compensationRate,
  connectionsByNode,
  connectionsByTransport,
  deliveryLatency,
  errorsByCode,
  keepRecent,
  messagesInSpan,
  messagesPerSecond,
  pushFunnel,
  samplesOf,
} from "./series.js";

const LE = [0.01, 0.1, 1];
/** A cumulative histogram from observations (seconds). */
function histogram(observations: number[]): HistogramValue {
  const counts = [...LE.map((le) => observations.filter((o) => o <= le).length), observations.length];
  return { le: LE, counts, sum: observations.reduce((a, b) => a + b, 0), count: observations.length };
}

/** One poll of one process (`node-a`, started at 0) at `at` ms. */
function poll(at: number, metrics: Partial<MetricsSnapshot>, node = "node-a", startedAt = 0): DashboardResponse {
  const snapshot = { ...emptySnapshot(), ...metrics };
  return { at, nodes: [{ node, at, startedAt, metrics: snapshot }], total: snapshot };
}

describe("the dashboard's series", () => {
  it("keeps ten minutes of polls and ignores one that is not newer", () => {
    let history: DashboardResponse[] = [];
    for (let at = 0; at <= 11 * 60_000; at += 60_000) history = keepRecent(history, poll(at, {}));
    expect(history.map((p) => p.at / 60_000)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(keepRecent(history, poll(5 * 60_000, {}))).toHaveLength(11);
  });

  it("turns cumulative counters into per-second rates between consecutive polls", () => {
    const history = [
      poll(10_000, { counters: { courier_messages_total: 10 } }),
      poll(12_000, { counters: { courier_messages_total: 30 } }),
      poll(14_000, { counters: { courier_messages_total: 30 } }),
    ];
    const chart = messagesPerSecond(samplesOf(history));
    expect(chart.xs).toEqual([12, 14]);
    expect(chart.lines[0]!.values).toEqual([10, 0]);
    expect(messagesInSpan(samplesOf(history))).toBe(20);
  });

  it("a restarted process counts from zero: no negative rate", () => {
    const history = [poll(0, { counters: { courier_messages_total: 50 } }, "n", 0), poll(2_000, { counters: { courier_messages_total: 4 } }, "n", 1_000)];
    expect(messagesPerSecond(samplesOf(history)).lines[0]!.values).toEqual([4]); // 4 in the 1 s since it started again
  });

  it("delivery latency: p50/p95/p99 per transport in ms, a gap where nothing was acked, no line for a transport nothing was acked on", () => {
    const ws = metricKey("courier_delivery_seconds", { transport: "ws" });
    const sse = metricKey("courier_delivery_seconds", { transport: "sse" });
    const poll_ = metricKey("courier_delivery_seconds", { transport: "poll" });
    const history = [
      poll(0, { histograms: { [ws]: histogram([]), [poll_]: histogram([]) } }),
      poll(2_000, { histograms: { [ws]: histogram([0.005, 0.005, 0.005, 0.5]), [sse]: histogram([0.05]), [poll_]: histogram([]) } }),
      poll(4_000, { histograms: { [ws]: histogram([0.005, 0.005, 0.005, 0.5]), [sse]: histogram([0.05]), [poll_]: histogram([]) } }),
    ];
    const chart = deliveryLatency(samplesOf(history));
    expect(chart.lines.map((l) => l.label)).toEqual(["sse p50", "sse p95", "sse p99", "ws p50", "ws p95", "ws p99"]);
    const wsP50 = chart.lines[3]!.values;
    expect(wsP50[0]).toBeGreaterThan(0);
    expect(wsP50[0]).toBeLessThanOrEqual(10);
    expect(chart.lines[5]!.values[0]).toBeGreaterThan(100);
    expect(wsP50[1]).toBeNull();
    expect(chart.lines.filter((l) => l.group === "ws").map((l) => l.dash)).toEqual([false, true, true]);
  });

  it("arrival and compensation rates are ratios of one window, empty where the divisor is zero", () => {
    const history = [
      poll(0, { counters: {} }),
      poll(2_000, { counters: { 'courier_entries_pushed_total{transport="ws"}': 10, courier_entries_acked_total: 8, courier_compensated_entries_total: 2 } }),
      poll(4_000, { counters: { 'courier_entries_pushed_total{transport="ws"}': 10, courier_entries_acked_total: 8, courier_compensated_entries_total: 2 } }),
    ];
    const samples = samplesOf(history);
    expect(arrivalRate(samples).lines[0]!.values).toEqual([80, null]);
    expect(compensationRate(samples).lines[0]!.values).toEqual([25, null]);
  });

  it("errors by code (only codes answered in the span), the push funnel and connections by transport and by process", () => {
    const a1 = { counters: { 'courier_errors_total{code="not_found"}': 7, 'courier_errors_total{code="bad_request"}': 1, 'courier_webpush_total{category="chat",outcome="requested"}': 1 }, gauges: { 'courier_connections{transport="ws"}': 2 } };
    const a2 = {
      counters: {
        'courier_errors_total{code="not_found"}': 7,
        'courier_errors_total{code="bad_request"}': 5,
        'courier_errors_total{code="unauthorized"}': 2,
        'courier_webpush_total{category="chat",outcome="requested"}': 4,
        'courier_webpush_total{category="chat",outcome="accepted"}': 3,
        'courier_webpush_total{category="marketing",outcome="dropped"}': 1,
      },
      gauges: { 'courier_connections{transport="ws"}': 3, 'courier_connections{transport="sse"}': 1 },
    };
    const b = { gauges: { 'courier_connections{transport="poll"}': 5 } };
    const both = (at: number, a: Partial<MetricsSnapshot>): DashboardResponse => {
      const nodes = [poll(at, a, "node-a").nodes[0]!, poll(at, b, "node-b").nodes[0]!];
      return { at, nodes, total: emptySnapshot() };
    };
    const history = [both(0, a1), both(2_000, a2)];
    const samples = samplesOf(history);
    const errors = errorsByCode(samples);
    expect(errors.lines).toEqual([
      { label: "bad_request", values: [2] },
      { label: "unauthorized", values: [1] },
    ]);
    expect(pushFunnel(samples)).toEqual({ requested: 3, accepted: 3, displayed: 0, clicked: 0, rejected: 0, dropped: 1 });
    expect(connectionsByTransport(samples).lines).toEqual([
      { label: "poll", values: [5] },
      { label: "sse", values: [1] },
      { label: "ws", values: [3] },
    ]);
    expect(connectionsByNode(history[1])).toEqual([
      { node: "node-a", byTransport: { ws: 3, sse: 1 }, total: 4 },
      { node: "node-b", byTransport: { poll: 5 }, total: 5 },
    ]);
  });
});

describe("the dashboard's series across processes read fresh or from their rows", () => {
  // Two processes, 10 messages/s each (20/s in all), each writing its row every 5 s at its own
  // phase (a: 0, 2.5 s, 5 s…; b: 1.25 s, 6.25 s…). Polls every 2 s land on a, then b, then a…:
  // the process answering reads itself fresh, the other from its row (up to 5 s old, older than
  // the fresh reading of the poll before).
  const count = (at: number) => at / 100;
  const lastRow = (at: number, phase: number) => at - ((((at - phase) % 5_000) + 5_000) % 5_000);
  const reading = (node: string, at: number, answering: boolean, phase: number, startedAtOf = (_t: number) => 0) => {
    const t = answering ? at : lastRow(at, phase);
    const startedAt = startedAtOf(t);
    return poll(t, { counters: { courier_messages_total: count(t) - count(startedAt) } }, node, startedAt).nodes[0]!;
  };
  const polls = (from: number, to: number, startedAtOfB = (_t: number) => 0): DashboardResponse[] => {
    const out: DashboardResponse[] = [];
    for (let at = from, i = 0; at <= to; at += 2_000, i++) {
      const nodes = [reading("a", at, i % 2 === 0, 0), reading("b", at, i % 2 === 1, 1_250, startedAtOfB)];
      out.push({ at, nodes, total: emptySnapshot() });
    }
    return out;
  };

  it("messages/s stays at the true rate: a stale row is not a restart, and an unchanged row is neither 0 nor double", () => {
    const values = messagesPerSecond(samplesOf(polls(100_000, 160_000))).lines[0]!.values;
    // The first windows may lack a process not yet seen twice; from then on, 20/s every time.
    for (const v of values.slice(3)) expect(v).toBeCloseTo(20, 5);
    expect(Math.max(...values.map((v) => v ?? 0))).toBeLessThanOrEqual(20.0001);
  });

  it("counts every message once over the span, whichever process answered", () => {
    const history = polls(100_000, 160_000);
    // From each process's reading in the first poll to its newest seen in the last: a fresh at
    // 100 s and 160 s; b from its row of 96.25 s to its fresh reading at 158 s (its row of
    // 156.25 s in the last poll is older).
    expect(messagesInSpan(samplesOf(history))).toBe(count(160_000 - 100_000) + count(158_000 - 96_250));
  });

  it("a real restart (new startedAt) still counts from zero, at the restarted process's own rate", () => {
    // b restarts at 131 s: its counters start again from 0, at the same 10/s.
    const values = messagesPerSecond(samplesOf(polls(100_000, 160_000, (t) => (t >= 131_000 ? 131_000 : 0)))).lines[0]!.values;
    for (const v of values.slice(3)) expect(v).toBeCloseTo(20, 5);
  });
});
