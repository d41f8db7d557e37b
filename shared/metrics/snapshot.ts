/**
 * Metrics snapshots: what each process publishes to `node_metrics` and what
 * `GET /api/admin/dashboard` returns (docs/observability.md, "Across
 * processes"). Values are cumulative, as Prometheus keeps them; the dashboard
 * turns two polls into rates and percentiles with the pure functions below,
 * the way PromQL's `rate()` and `histogram_quantile()` would.
 *
 * Keys are a family name plus its labels, sorted, in Prometheus form:
 * `courier_entries_pushed_total{transport="ws"}`; a family without labels is
 * its bare name. No label ever carries a user, device, conversation or
 * message id.
 */

export interface HistogramValue {
  /** Finite upper bounds, ascending (the `+Inf` bucket is implied: JSON has no Infinity). */
  le: number[];
  /** Cumulative count per `le`, then the `+Inf` count: `counts.length === le.length + 1`, last === `count`. */
  counts: number[];
  sum: number;
  count: number;
}

export interface MetricsSnapshot {
  /** key: family name plus sorted labels in Prometheus form, e.g. courier_entries_pushed_total{transport="ws"}; a family without labels is its bare name */
  counters: Record<string, number>;
  gauges: Record<string, number>;
  histograms: Record<string, HistogramValue>;
}

/** One process's snapshot: `node` its NODE_ID, `at` when taken, `startedAt` when the process started (a change means its counters restarted). */
export interface NodeMetrics {
  node: string;
  at: number;
  startedAt: number;
  metrics: MetricsSnapshot;
}

/** `GET /api/admin/dashboard`: the nodes seen within the last minute and their sum. */
export interface DashboardResponse {
  at: number;
  nodes: NodeMetrics[];
  total: MetricsSnapshot;
}

export type Labels = Record<string, string>;

export function emptySnapshot(): MetricsSnapshot {
  return { counters: {}, gauges: {}, histograms: {} };
}

// ---------------------------------------------------------------- keys

const escapeValue = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** The key of a family and label set: labels sorted by name, values escaped as in the Prometheus text format. */
export function metricKey(family: string, labels: Labels = {}): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return family;
  return `${family}{${names.map((n) => `${n}="${escapeValue(labels[n]!)}"`).join(",")}}`;
}

const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

/** The family and labels of a key (the inverse of `metricKey`); a malformed label part yields no labels. */
export function parseKey(key: string): { family: string; labels: Labels } {
  const brace = key.indexOf("{");
  if (brace < 0 || !key.endsWith("}")) return { family: key, labels: {} };
  const family = key.slice(0, brace);
  const body = key.slice(brace + 1, -1);
  const labels: Labels = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < body.length) {
    const m = LABEL.exec(body);
    if (!m) return { family, labels: {} };
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return { family, labels };
}

const matches = (labels: Labels, filter: Labels) => Object.entries(filter).every(([n, v]) => labels[n] === v);

/** The label sets of a family present in a snapshot (counters, gauges and histograms), sorted by key. */
export function familyKeys(snapshot: MetricsSnapshot, family: string): { key: string; labels: Labels }[] {
  const keys = new Set([...Object.keys(snapshot.counters), ...Object.keys(snapshot.gauges), ...Object.keys(snapshot.histograms)]);
  return [...keys]
    .sort()
    .map((key) => ({ key, ...parseKey(key) }))
    .filter((k) => k.family === family)
    .map(({ key, labels }) => ({ key, labels }));
}

/** The entries of `values` in `family` whose labels include `filter` (PromQL's `family{filter}`). */
function select<T>(values: Record<string, T>, family: string, filter: Labels): T[] {
  const out: T[] = [];
  for (const [key, value] of Object.entries(values)) {
    const k = parseKey(key);
    if (k.family === family && matches(k.labels, filter)) out.push(value);
  }
  return out;
}

/** A family summed over the label sets matching `filter` (PromQL's `sum(family{filter})`), counters and gauges. */
export function sumFamily(values: Record<string, number>, family: string, filter: Labels = {}): number {
  return select(values, family, filter).reduce((a, b) => a + b, 0);
}

/** A family summed by one label (PromQL's `sum by (label)`): label value → sum. */
export function sumBy(values: Record<string, number>, family: string, label: string, filter: Labels = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(values)) {
    const k = parseKey(key);
    if (k.family !== family || !matches(k.labels, filter)) continue;
    const v = k.labels[label] ?? "";
    out[v] = (out[v] ?? 0) + value;
  }
  return out;
}

// ---------------------------------------------------------------- sums

/**
 * Histograms added bucket by bucket. Every process runs the same buckets; a
 * different set (a rolling upgrade that changed them) is merged on the union
 * of bounds, each histogram counting at a bound it lacks what it had at its
 * next lower bound (a lower estimate, never an invented observation).
 */
export function sumHistograms(list: readonly HistogramValue[]): HistogramValue | undefined {
  if (list.length === 0) return undefined;
  const le = [...new Set(list.flatMap((h) => h.le))].sort((a, b) => a - b);
  const counts = new Array<number>(le.length + 1).fill(0);
  let sum = 0;
  let count = 0;
  for (const h of list) {
    let j = -1;
    for (const [i, bound] of le.entries()) {
      while (j + 1 < h.le.length && h.le[j + 1]! <= bound) j++;
      counts[i]! += j < 0 ? 0 : h.counts[j]!;
    }
    counts[le.length]! += h.count;
    sum += h.sum;
    count += h.count;
  }
  return { le, counts, sum, count };
}

function addInto(into: Record<string, number>, from: Record<string, number>) {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Snapshots added key by key (the dashboard's `total`: every process together). */
export function sumSnapshots(list: readonly MetricsSnapshot[]): MetricsSnapshot {
  const total = emptySnapshot();
  const histograms: Record<string, HistogramValue[]> = {};
  for (const s of list) {
    addInto(total.counters, s.counters);
    addInto(total.gauges, s.gauges);
    for (const [k, h] of Object.entries(s.histograms)) (histograms[k] ??= []).push(h);
  }
  for (const [k, hs] of Object.entries(histograms)) total.histograms[k] = sumHistograms(hs)!;
  return total;
}

// ---------------------------------------------------------------- differences

/** A counter's increase from `prev` to `next`; a decrease is a reset (the process restarted), so, as in Prometheus, the increase is `next` itself. */
export function increase(prev: number | undefined, next: number): number {
  return prev === undefined || next < prev ? next : next - prev;
}

/**
 * The observations between two readings of one histogram. Any bucket or the
 * count going down is a reset: the whole of `next` is new (Prometheus's rule).
 */
export function diffHistogram(prev: HistogramValue | undefined, next: HistogramValue): HistogramValue {
  if (!prev || !sameBounds(prev, next)) return next;
  const reset = next.count < prev.count || next.counts.some((c, i) => c < prev.counts[i]!);
  if (reset) return next;
  return {
    le: next.le,
    counts: next.counts.map((c, i) => c - prev.counts[i]!),
    sum: next.sum - prev.sum,
    count: next.count - prev.count,
  };
}

const sameBounds = (a: HistogramValue, b: HistogramValue) => a.le.length === b.le.length && a.le.every((x, i) => x === b.le[i]);

/** What happened between two snapshots of one process: counters' increases, histograms' new observations, gauges as they are now. */
export function diffSnapshots(prev: MetricsSnapshot | undefined, next: MetricsSnapshot): MetricsSnapshot {
  const out: MetricsSnapshot = { counters: {}, gauges: { ...next.gauges }, histograms: {} };
  for (const [k, v] of Object.entries(next.counters)) out.counters[k] = increase(prev?.counters[k], v);
  for (const [k, h] of Object.entries(next.histograms)) out.histograms[k] = diffHistogram(prev?.histograms[k], h);
  return out;
}

/** Per-second rate of a counter between two snapshots `seconds` apart (resets as in `increase`); null without an earlier snapshot or interval. */
export function rate(prev: MetricsSnapshot | undefined, next: MetricsSnapshot, key: string, seconds: number): number | null {
  if (!prev || !(seconds > 0)) return null;
  return increase(prev.counters[key] ?? 0, next.counters[key] ?? 0) / seconds;
}

/**
 * The `q`-quantile (0..1) of the observations in a histogram (usually a
 * difference of two readings), as Prometheus's `histogram_quantile`: find the
 * bucket holding the rank `q × count` and interpolate linearly inside it (the
 * first bucket starts at 0); a rank in the `+Inf` bucket answers the highest
 * finite bound. Null when there is nothing observed.
 */
export function quantile(h: HistogramValue | undefined, q: number): number | null {
  if (!h || !(h.count > 0) || h.le.length === 0 || Number.isNaN(q)) return null;
  const rank = Math.min(1, Math.max(0, q)) * h.count;
  const b = h.counts.findIndex((c) => c >= rank);
  if (b < 0 || b >= h.le.length) return h.le[h.le.length - 1]!;
  const end = h.le[b]!;
  const start = b === 0 ? 0 : h.le[b - 1]!;
  if (b === 0 && end <= 0) return end;
  const below = b === 0 ? 0 : h.counts[b - 1]!;
  const inBucket = h.counts[b]! - below;
  if (inBucket <= 0) return end;
  return start + ((end - start) * (rank - below)) / inBucket;
}

// ---------------------------------------------------------------- polls of the dashboard

/** What happened across all processes between two dashboard polls. */
export interface DashboardWindow {
  /** Between the two polls. */
  seconds: number;
  /**
   * Counters: increases, histograms: new observations, each first seen at the later poll (so
   * summed over windows every one counts once); gauges: each process's newest seen. Summed over
   * processes.
   */
  delta: MetricsSnapshot;
  /** Counters per second, summed over processes: each process's rate over its own latest span (`dashboardWindows`). */
  rates: Record<string, number>;
}

/** What the page knows of one process: its newest snapshot seen, and the one before (`undefined` metrics: zero at `startedAt`, a new process). */
interface Seen {
  newest: NodeMetrics;
  before?: { at: number; metrics?: MetricsSnapshot };
  /** The longest span between two of its snapshots seen (ms): how late its next one may be while it lives. */
  longest: number;
}

/**
 * The window of each poll after the first (`polls` ascending by `at`; one not newer than the
 * last is skipped), taken process by process and then summed (as PromQL's `sum(rate(...))`,
 * never `rate(sum(...))`: one process restarting must not read as the whole cluster's counters
 * going down).
 *
 * A process's snapshot is `(node, startedAt, at)`. The answering process reports itself fresh,
 * the others come from their rows (up to `METRICS_PUBLISH_MS` old), and polls land on any
 * process: the same process may be read fresh, then from an older row. So only a snapshot newer
 * than the newest seen of that process (same `startedAt`, greater `at`) brings an increase,
 * against that newest seen; an older or equal one brings nothing (a stale row is never a
 * restart) and the newest seen stays. A greater `startedAt` is a restart: counted from zero (a
 * smaller one is an older process's late row, ignored). A process first seen after the first
 * poll counts from zero if it started after the poll before, otherwise (its rows were late) it
 * only brings its gauges, since its increase is unknown.
 *
 * Rates: each process's increase over its latest span (newest seen − the one before, in its
 * own `at`s; from `startedAt` after a restart), summed over processes. Not the increases summed
 * over the poll interval: processes publish at their own phases, so a poll may see no new row
 * of a process (0) and the next two rows' worth (double). A process's rate is kept until a newer
 * snapshot comes, while that is at most twice the longest span seen of it old (one that stopped
 * publishing, shut down say, drops out instead of showing its last rate for the minute its row
 * is still listed).
 */
export function dashboardWindows(polls: readonly DashboardResponse[]): { at: number; win: DashboardWindow }[] {
  const seen = new Map<string, Seen>();
  const out: { at: number; win: DashboardWindow }[] = [];
  let prevAt: number | undefined;
  for (const poll of polls) {
    if (prevAt !== undefined && !(poll.at > prevAt)) continue;
    const parts = poll.nodes.map((n) => observe(seen, n, prevAt));
    const rates: Record<string, number> = {};
    for (const n of poll.nodes) addInto(rates, rateOf(seen.get(n.node)!, poll.at));
    if (prevAt !== undefined) out.push({ at: poll.at, win: { seconds: (poll.at - prevAt) / 1000, delta: sumSnapshots(parts), rates } });
    prevAt = poll.at;
  }
  return out;
}

/** One process's snapshot in a poll: updates what is seen of it; its new increases, and gauges of its newest seen. */
function observe(seen: Map<string, Seen>, n: NodeMetrics, prevAt: number | undefined): MetricsSnapshot {
  const known = seen.get(n.node);
  const restarted = known !== undefined && n.startedAt > known.newest.startedAt;
  const newer = known !== undefined && n.startedAt === known.newest.startedAt && n.at > known.newest.at;
  const started = known === undefined && prevAt !== undefined && n.startedAt >= prevAt;
  if (newer || restarted || started) {
    const before = newer ? { at: known!.newest.at, metrics: known!.newest.metrics } : { at: n.startedAt };
    seen.set(n.node, { newest: n, before, longest: Math.max(known?.longest ?? 0, n.at - before.at) });
    return diffSnapshots(before.metrics, n.metrics);
  }
  if (!known) seen.set(n.node, { newest: n, longest: 0 });
  return { ...emptySnapshot(), gauges: { ...seen.get(n.node)!.newest.metrics.gauges } };
}

/** A process's counters per second over its latest span, if it has one and it is recent enough. */
function rateOf({ newest, before, longest }: Seen, now: number): Record<string, number> {
  const span = before ? newest.at - before.at : 0;
  if (!(span > 0) || now - newest.at > 2 * longest) return {};
  const { counters } = diffSnapshots(before!.metrics, newest.metrics);
  return Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, (v * 1000) / span]));
}

/** The window between two polls (`dashboardWindows` of just those two); null without an earlier poll or if `next` is not newer. */
export function dashboardWindow(prev: DashboardResponse | undefined, next: DashboardResponse): DashboardWindow | null {
  return prev ? (dashboardWindows([prev, next])[0]?.win ?? null) : null;
}

/** Per-second rate of a counter family (summed over the label sets matching `filter`) in a window. */
export function perSecond(win: DashboardWindow, family: string, filter: Labels = {}): number {
  return sumFamily(win.rates, family, filter);
}

/** A histogram family's observations in a window, summed over the label sets matching `filter`. */
export function histogramOf(snapshot: MetricsSnapshot, family: string, filter: Labels = {}): HistogramValue | undefined {
  return sumHistograms(select(snapshot.histograms, family, filter));
}

/** p50/p95/p99 (or the quantiles asked) of a histogram family in a window; null each when nothing was observed. */
export function percentiles(
  win: DashboardWindow,
  family: string,
  filter: Labels = {},
  qs: readonly number[] = [0.5, 0.95, 0.99],
): { q: number; value: number | null }[] {
  const h = histogramOf(win.delta, family, filter);
  return qs.map((q) => ({ q, value: quantile(h, q) }));
}
