import type { BenchCluster } from "./cluster.js";
import type { BenchDatabase } from "./database.js";

export interface Target {
  op: "<=" | ">=";
  value: number;
}

/** One figure of the results table. */
export interface Metric {
  /** Stable key, e.g. `ws.saturation.delivered`. */
  id: string;
  label: string;
  unit: string;
  /** null: not measured (see `note`). */
  value: number | null;
  target?: Target;
  /** Shown after the figure, e.g. "median of 3 runs; p99 over all samples". */
  note?: string;
}

export interface SuiteResult {
  metrics: Metric[];
  details: Record<string, unknown>;
}

export interface SuiteContext {
  quick: boolean;
  /** What servers store into (`--engine=`): suites take a fresh database from it, seed it and start servers on it. */
  db: BenchDatabase;
  /** How many server processes a suite starts (`--cluster=N`), and their Redis; one process and no Redis by default. */
  cluster: BenchCluster;
  /** Where CPU profiles of the server go when profiling was asked for (`--profile`), else null. */
  profileDir: string | null;
  /** A `--name=value` option given on the command line, if any (suites document the ones they read). */
  option(name: string): string | undefined;
  log(message: string): void;
}

export type Suite = (ctx: SuiteContext) => Promise<SuiteResult>;

/** met / gap text for a metric against its target. */
export function verdict(m: Metric): string {
  if (!m.target) return "";
  if (m.value === null || Number.isNaN(m.value)) return "not measured";
  const { op, value: target } = m.target;
  const met = op === "<=" ? m.value <= target : m.value >= target;
  if (met) return "met";
  if (target === 0) return `gap: ${fmt(m.value)} ${m.unit} over`;
  const factor = op === "<=" ? m.value / target : target / m.value;
  return `GAP ${factor >= 10 ? Math.round(factor) : factor.toFixed(1)}× ${op === "<=" ? "over" : "under"}`;
}

export function fmt(n: number | null): string {
  if (n === null || Number.isNaN(n)) return "—";
  if (Math.abs(n) >= 1000 || Number.isInteger(n)) return Math.round(n).toLocaleString("en-US");
  if (Math.abs(n) >= 100) return String(Math.round(n));
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return String(Number(n.toFixed(2)));
}

/** The results table, as aligned plain text for the terminal. */
export function table(rows: Array<{ suite: string; metric: Metric }>): string {
  const head = ["suite", "figure", "target", "measured", "status"];
  const body = rows.map(({ suite, metric: m }) => [
    suite,
    m.label,
    m.target ? `${m.target.op === "<=" ? "≤" : "≥"} ${fmt(m.target.value)} ${m.unit}` : "",
    `${fmt(m.value)} ${m.unit}${m.note ? ` (${m.note})` : ""}`,
    verdict(m),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(head), widths.map((w) => "─".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
