import type { Registry } from "prom-client";
import {
  type DashboardResponse,
  emptySnapshot,
  type HistogramValue,
  metricKey,
  type MetricsSnapshot,
  type NodeMetrics,
  sumSnapshots,
} from "../../shared/metrics/snapshot.js";
import { metricsSnapshotSchema } from "../../shared/metrics/schema.js";
import type { Storage } from "../storage/storage.js";

/**
 * This process's metrics in `node_metrics`, for the dashboard
 * (docs/observability.md, "Across processes"): every `METRICS_PUBLISH_MS` a
 * snapshot of the registry's `courier_*` families replaces this node's row,
 * and the dashboard reads the rows of the last minute. No process ever asks
 * another; on SQLite there is one row.
 */

/** The dashboard lists nodes whose snapshot is at most this old. */
export const DASHBOARD_NODE_MAX_AGE_MS = 60_000;
/** Rows of nodes gone for longer than this are deleted. */
export const NODE_METRICS_KEEP_MS = 3_600_000;
/** How often a publish also deletes old rows. */
const PRUNE_EVERY_MS = 300_000;

/** Families the dashboard reads: Courier's own (the default process metrics stay on /metrics). */
const FAMILY_PREFIX = "courier_";

type JsonMetric = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>[number];
type JsonValue = JsonMetric["values"][number] & { metricName?: string };
type LabelValues = Record<string, string | number>;

/** `metricKey` of a series, leaving out `without` (a histogram's `le`). */
function seriesKey(family: string, labels: LabelValues, without?: string): string {
  const names = Object.keys(labels);
  if (names.length === 0 || (names.length === 1 && names[0] === without)) return family;
  const own: Record<string, string> = {};
  for (const n of names) if (n !== without) own[n] = String(labels[n]);
  return metricKey(family, own);
}

/** One histogram family's series (prom-client lists `_bucket` per `le`, then `_sum` and `_count`, per label set). */
function histograms(m: JsonMetric, into: Record<string, HistogramValue>): void {
  const series = new Map<string, { buckets: [number, number][]; inf: number; sum: number; count: number }>();
  for (const v of m.values as JsonValue[]) {
    const key = seriesKey(m.name, v.labels as LabelValues, "le");
    let s = series.get(key);
    if (!s) series.set(key, (s = { buckets: [], inf: 0, sum: 0, count: 0 }));
    const suffix = v.metricName?.slice(m.name.length);
    if (suffix === "_sum") s.sum = v.value;
    else if (suffix === "_count") s.count = v.value;
    else if (suffix === "_bucket") {
      const le = (v.labels as LabelValues).le;
      if (le === "+Inf") s.inf = v.value;
      else s.buckets.push([Number(le), v.value]);
    }
  }
  for (const [key, s] of series) {
    s.buckets.sort((a, b) => a[0] - b[0]);
    into[key] = { le: s.buckets.map((b) => b[0]), counts: [...s.buckets.map((b) => b[1]), s.inf], sum: s.sum, count: s.count };
  }
}

/** The `courier_*` families of a registry as a snapshot (its collect functions run, as for a scrape). */
export async function snapshotOf(registry: Registry): Promise<MetricsSnapshot> {
  const snapshot = emptySnapshot();
  for (const m of await registry.getMetricsAsJSON()) {
    if (!m.name.startsWith(FAMILY_PREFIX)) continue;
    // prom-client types `type` as a numeric enum, but getMetricsAsJSON() gives its name ("counter", …).
    const type = m.type as unknown as string;
    if (type === "histogram") histograms(m, snapshot.histograms);
    else if (type === "counter" || type === "gauge") {
      const into = type === "counter" ? snapshot.counters : snapshot.gauges;
      for (const v of m.values) into[seriesKey(m.name, v.labels as LabelValues)] = v.value;
    }
  }
  return snapshot;
}

interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface NodeSnapshotsOptions {
  registry: Registry;
  storage: Storage;
  /** NODE_ID. */
  node: string;
  clock: () => number;
  /** METRICS_PUBLISH_MS; 0: never written (the dashboard still shows this process, fresh). */
  publishMs: number;
  log: Logger;
}

/** This process's snapshots: taken on demand for the dashboard, and published to `node_metrics` on a timer. */
export class NodeSnapshots {
  readonly startedAt: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private inFlight: Promise<void> | null = null;
  private prunedAt = -Infinity;
  private failing = false;

  constructor(private readonly opts: NodeSnapshotsOptions) {
    this.startedAt = opts.clock();
  }

  /** This process's metrics now. */
  async current(): Promise<NodeMetrics> {
    const metrics = await snapshotOf(this.opts.registry);
    return { node: this.opts.node, at: this.opts.clock(), startedAt: this.startedAt, metrics };
  }

  /** Publishes now and then every `publishMs` (the timer never holds the process open). */
  start(): void {
    if (this.timer || this.opts.publishMs <= 0) return;
    void this.publish();
    this.timer = setInterval(() => void this.publish(), this.opts.publishMs);
    this.timer.unref();
  }

  /**
   * Writes this node's row (and now and then deletes rows of nodes gone for
   * an hour). Never throws: a failure is logged once until a publish works
   * again; a round still running is not doubled.
   */
  publish(): Promise<void> {
    this.inFlight ??= this.publishOnce().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async publishOnce(): Promise<void> {
    try {
      const { node, at, startedAt, metrics } = await this.current();
      const prune = at - this.prunedAt >= PRUNE_EVERY_MS;
      await this.opts.storage.write(async (tx) => {
        await tx.nodeMetrics.put(node, at, startedAt, JSON.stringify(metrics));
        if (prune) await tx.nodeMetrics.prune(at - NODE_METRICS_KEEP_MS);
      });
      if (prune) this.prunedAt = at;
      if (this.failing) this.opts.log.info({ node }, "metrics snapshots are published again");
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.opts.log.warn({ err, node: this.opts.node }, "metrics snapshot not published (the dashboard misses this process until it is)");
      this.failing = true;
    }
  }

  /**
   * Stops the timer and, if it was running, publishes a last time: the
   * counters of the last seconds, and no connections (the app has closed
   * them by now). Call after the app closes, before storage does.
   */
  async close(): Promise<void> {
    const running = this.timer !== null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
    if (running) await this.publish();
  }
}

/**
 * `GET /api/admin/dashboard`: the nodes whose snapshot is at most a minute
 * old, this process's own taken now, by node name, and their sum. A row that
 * does not parse (written by a newer version, say) is left out.
 */
export async function readDashboard(storage: Storage, own: NodeSnapshots, now: number): Promise<DashboardResponse> {
  const [rows, mine] = await Promise.all([storage.read(async (r) => r.nodeMetrics.since(now - DASHBOARD_NODE_MAX_AGE_MS)), own.current()]);
  const nodes: NodeMetrics[] = [mine];
  for (const row of rows) {
    if (row.node === mine.node) continue;
    const metrics = parseSnapshot(row.data);
    if (metrics) nodes.push({ node: row.node, at: row.at, startedAt: row.startedAt, metrics });
  }
  nodes.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return { at: now, nodes, total: sumSnapshots(nodes.map((n) => n.metrics)) };
}

function parseSnapshot(data: string): MetricsSnapshot | null {
  try {
    const parsed = metricsSnapshotSchema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
