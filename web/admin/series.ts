import {
  dashboardWindows,
  familyKeys,
  histogramOf,
  percentiles,
  perSecond,
  sumBy,
  sumFamily,
  type DashboardResponse,
  type DashboardWindow,
} from "../../shared/metrics/snapshot.js";

/**
 * From the polls of `GET /api/admin/dashboard` (cumulative numbers per
 * process) to the dashboard's charts: every point is the window between two
 * consecutive polls (shared/metrics: dashboardWindows, rates and percentiles),
 * so a chart shows what happened in those 2 s, not since the server started.
 */

/** How much the page keeps in memory: the charts' span. */
export const HISTORY_MS = 10 * 60_000;

/** The polls kept: `next` appended (unless it is not newer than the last), those older than `keepMs` before it dropped. */
export function keepRecent(history: readonly DashboardResponse[], next: DashboardResponse, keepMs = HISTORY_MS): DashboardResponse[] {
  const last = history[history.length - 1];
  if (last && next.at <= last.at) return [...history];
  return [...history, next].filter((poll) => poll.at >= next.at - keepMs);
}

/** One point on the time axis: the window ending at `at` (ms). */
export interface Sample {
  at: number;
  win: DashboardWindow;
}

/** The windows of the kept polls: what is seen of each process carries from poll to poll (`dashboardWindows`). */
export function samplesOf(history: readonly DashboardResponse[]): Sample[] {
  return dashboardWindows(history);
}

/** A line of a chart; `null` is a gap (nothing to compute in that window, e.g. no ack to time). */
export interface Line {
  label: string;
  values: (number | null)[];
  /** Lines of one group share a colour (a transport's p50/p95/p99); the dash tells them apart. */
  group?: string;
  dash?: boolean;
}

export interface ChartData {
  /** Unix seconds (uPlot's time axis). */
  xs: number[];
  lines: Line[];
}

const xsOf = (samples: readonly Sample[]) => samples.map((s) => s.at / 1000);

/** Label values of a family seen in any window (counters, gauges or histograms), sorted. */
function labelValues(samples: readonly Sample[], family: string, label: string): string[] {
  const seen = new Set<string>();
  for (const { win } of samples) for (const { labels } of familyKeys(win.delta, family)) if (labels[label] !== undefined) seen.add(labels[label]);
  return [...seen].sort();
}

const ratio = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : null);
const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1000);
const QUANTILES = [0.5, 0.95, 0.99] as const;
const qLabel = (q: number) => `p${Math.round(q * 100)}`;

export function messagesPerSecond(samples: readonly Sample[]): ChartData {
  return { xs: xsOf(samples), lines: [{ label: "messages/s", values: samples.map((s) => perSecond(s.win, "courier_messages_total")) }] };
}

/** Delivery latency (committed → acked, ms) p50/p95/p99, one colour per transport. */
export function deliveryLatency(samples: readonly Sample[]): ChartData {
  const lines: Line[] = [];
  const timed = (transport: string) => samples.some((s) => (histogramOf(s.win.delta, "courier_delivery_seconds", { transport })?.count ?? 0) > 0);
  // Only transports with an ack in the span: every transport's histogram exists from the start, empty.
  for (const transport of labelValues(samples, "courier_delivery_seconds", "transport").filter(timed)) {
    const per = samples.map((s) => percentiles(s.win, "courier_delivery_seconds", { transport }, QUANTILES));
    QUANTILES.forEach((q, i) => lines.push({ label: `${transport} ${qLabel(q)}`, group: transport, dash: i > 0, values: per.map((p) => ms(p[i]!.value)) }));
  }
  return { xs: xsOf(samples), lines };
}

/** Arrival rate: entries acked ÷ entries first pushed in each window, in %. */
export function arrivalRate(samples: readonly Sample[]): ChartData {
  const values = samples.map(({ win }) =>
    ratio(sumFamily(win.delta.counters, "courier_entries_acked_total"), sumFamily(win.delta.counters, "courier_entries_pushed_total")),
  );
  return { xs: xsOf(samples), lines: [{ label: "acked ÷ pushed %", values }] };
}

/** Compensation rate: entries acked only after a pull covered them ÷ entries acked, in %. */
export function compensationRate(samples: readonly Sample[]): ChartData {
  const values = samples.map(({ win }) =>
    ratio(sumFamily(win.delta.counters, "courier_compensated_entries_total"), sumFamily(win.delta.counters, "courier_entries_acked_total")),
  );
  return { xs: xsOf(samples), lines: [{ label: "compensated ÷ acked %", values }] };
}

/** How late compensated entries arrived (first push → ack), ms. */
export function compensationDelay(samples: readonly Sample[]): ChartData {
  const qs = [0.5, 0.95] as const;
  const per = samples.map((s) => percentiles(s.win, "courier_compensation_delay_seconds", {}, qs));
  return { xs: xsOf(samples), lines: qs.map((q, i) => ({ label: qLabel(q), dash: i > 0, values: per.map((p) => ms(p[i]!.value)) })) };
}

/** Entries re-pushed per second, and retransmission rounds given up per second. */
export function retransmissions(samples: readonly Sample[]): ChartData {
  return {
    xs: xsOf(samples),
    lines: [
      { label: "re-pushed entries/s", values: samples.map((s) => perSecond(s.win, "courier_retransmits_total")) },
      { label: "rounds given up/s", values: samples.map((s) => perSecond(s.win, "courier_retransmit_rounds_total", { outcome: "gave_up" })) },
    ],
  };
}

/** Error responses per second, one line per CourierError code. */
export function errorsByCode(samples: readonly Sample[]): ChartData {
  // Only codes answered in the span (a code once answered stays in every later snapshot).
  const codes = labelValues(samples, "courier_errors_total", "code").filter((code) => samples.some((s) => perSecond(s.win, "courier_errors_total", { code }) > 0));
  return { xs: xsOf(samples), lines: codes.map((code) => ({ label: code, values: samples.map((s) => perSecond(s.win, "courier_errors_total", { code })) })) };
}

/** Open connections by transport, all processes together (gauges as of each poll). */
export function connectionsByTransport(samples: readonly Sample[]): ChartData {
  const transports = labelValues(samples, "courier_connections", "transport");
  const values = samples.map((s) => sumBy(s.win.delta.gauges, "courier_connections", "transport"));
  return { xs: xsOf(samples), lines: transports.map((t) => ({ label: t, values: values.map((v) => v[t] ?? 0) })) };
}

/** Connections per process and transport, from the latest poll. */
export function connectionsByNode(latest: DashboardResponse | undefined): { node: string; byTransport: Record<string, number>; total: number }[] {
  return (latest?.nodes ?? [])
    .map((n) => {
      const byTransport = sumBy(n.metrics.gauges, "courier_connections", "transport");
      return { node: n.node, byTransport, total: Object.values(byTransport).reduce((a, b) => a + b, 0) };
    })
    .sort((a, b) => a.node.localeCompare(b.node));
}

export const FUNNEL_STEPS = ["requested", "accepted", "displayed", "clicked"] as const;
export const FUNNEL_LOSSES = ["rejected", "dropped"] as const;
export type FunnelOutcome = (typeof FUNNEL_STEPS)[number] | (typeof FUNNEL_LOSSES)[number];

/** The Web Push funnel over the kept span: how many notifications reached each step (all categories). */
export function pushFunnel(samples: readonly Sample[]): Record<FunnelOutcome, number> {
  const out: Record<FunnelOutcome, number> = { requested: 0, accepted: 0, displayed: 0, clicked: 0, rejected: 0, dropped: 0 };
  for (const { win } of samples) {
    const byOutcome = sumBy(win.delta.counters, "courier_webpush_total", "outcome");
    for (const key of Object.keys(out) as FunnelOutcome[]) out[key] += byOutcome[key] ?? 0;
  }
  return out;
}

/** Messages stored in the kept span (all windows): zero is the dashboard's empty state. */
export function messagesInSpan(samples: readonly Sample[]): number {
  return samples.reduce((total, s) => total + sumFamily(s.win.delta.counters, "courier_messages_total"), 0);
}
