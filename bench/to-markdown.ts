import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fmt, type Metric } from "./lib/report.js";

/**
 * Prints the results table of a bench run as Markdown, for docs/benchmarks.md:
 *   node --import tsx bench/to-markdown.ts [bench/results/<timestamp>.json]
 * (the newest results file when none is given; comparisons, compare-*.json,
 * are printed by `bench/compare.ts --from=<file> --markdown`).
 */
const dir = path.join("bench", "results");
const file =
  process.argv[2] ??
  path.join(
    dir,
    readdirSync(dir)
      .filter((f) => f.endsWith(".json") && !f.startsWith("compare-"))
      .sort()
      .at(-1) ?? "",
  );
const results = JSON.parse(readFileSync(file, "utf8")) as {
  startedAt: string;
  machine: { cpuModel: string; cores: number; ramGiB: number; node: string; chromium: string | null; loadAvg: number[] };
  /** Absent in results written before --engine existed (SQLite). */
  engine?: { label?: string };
  table: Array<Metric & { suite: string; status: string }>;
};
const m = results.machine;
console.info(
  `Run ${results.startedAt} (${path.basename(file)}): ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB, Node ${m.node}, Chromium ${m.chromium ?? "?"}, load average at start ${m.loadAvg.join(" ")}; ${results.engine?.label ?? "SQLite"}\n`,
);
console.info("| suite | figure | target | measured | status |");
console.info("| --- | --- | --- | --- | --- |");
for (const row of results.table) {
  const target = row.target ? `${row.target.op === "<=" ? "≤" : "≥"} ${fmt(row.target.value)} ${row.unit}` : "";
  const status = row.status.startsWith("GAP") ? `**${row.status}**` : row.status;
  console.info(`| ${row.suite} | ${row.label} | ${target} | ${fmt(row.value)} ${row.unit}${row.note ? ` <br><sub>${row.note}</sub>` : ""} | ${status} |`);
}
