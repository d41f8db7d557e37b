/** How the dashboard writes its numbers: units a person reads at a glance. */
export type Unit = "perSecond" | "ms" | "percent" | "count";

export function formatValue(value: number | null | undefined, unit: Unit): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  switch (unit) {
    case "perSecond":
      return `${trim(value)}/s`;
    case "ms":
      return value >= 1000 ? `${trim(value / 1000)} s` : `${trim(value)} ms`;
    case "percent":
      return `${trim(value)}%`;
    case "count":
      return trim(value);
  }
}

/** Three significant digits at most, no trailing zeros: 0.5, 12.3, 1234. */
function trim(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  return abs >= 100 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
}

/** "updated 2 s ago", "updated 3 min ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 90 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

/** A span of time in words: "2 min", "10 min", "40 s". */
export function span(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** A time offset from the message's `stored`: "+0 ms", "+1.2 s". */
export function offset(ms: number): string {
  return `+${formatValue(Math.max(0, ms), "ms")}`;
}
