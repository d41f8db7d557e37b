import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatValue, type Unit } from "./format.js";
import type { ChartData, Line } from "./series.js";
import { useColorScheme } from "./use-color-scheme.js";

/** Colours of lines, from CSS variables (admin.css defines them for light and dark). */
const MIN_SPAN_S = 60;
/** Time-axis labels: the time of day to the second (uPlot's default adds a date row that crowds a phone). */
const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
const PALETTE = ["--chart-1", "--chart-2", "--chart-3", "--chart-4", "--chart-5", "--chart-6"];

interface Props {
  title: string;
  data: ChartData;
  unit: Unit;
  /** What an empty chart says (no line at all: no transport, no error code seen). */
  empty: string;
  /** One sentence under the title: what is measured. */
  about: string;
}

/** The colour (a CSS variable) of each line: lines of one group (a transport's percentiles) share one. */
function colourVars(lines: readonly Line[]): string[] {
  const groups: string[] = [];
  return lines.map((line, i) => {
    const group = line.group ?? `#${i}`;
    if (!groups.includes(group)) groups.push(group);
    return PALETTE[groups.indexOf(group) % PALETTE.length]!;
  });
}

function options(el: HTMLElement, lines: readonly Line[], unit: Unit): uPlot.Options {
  const style = getComputedStyle(el);
  const css = (name: string) => style.getPropertyValue(name).trim();
  const axis = { stroke: css("--muted"), grid: { stroke: css("--border"), width: 1 }, ticks: { stroke: css("--border"), width: 1 } };
  const stroke = colourVars(lines).map(css);
  return {
    width: Math.max(200, el.clientWidth),
    height: 180,
    scales: {
      // At least a minute wide: the first points of a fresh page would otherwise stretch over years.
      x: { time: true, range: (_u, min, max) => (max - min < MIN_SPAN_S ? [max - MIN_SPAN_S, max] : [min, max]) },
      y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
    },
    series: [
      {},
      ...lines.map((line, i) => ({
        label: line.label,
        stroke: stroke[i]!,
        width: 2,
        dash: line.dash ? [6, 4] : undefined,
        // A point alone between gaps (one window with acks) has no line to draw: its dot shows it.
        points: { show: true, size: 5 },
        value: (_u: uPlot, v: number | null) => formatValue(v, unit),
      })),
    ],
    axes: [
      { ...axis, space: 70, values: (_u, ticks) => ticks.map((t) => clock.format(t * 1000)) },
      { ...axis, size: 64, values: (_u, ticks) => ticks.map((t) => formatValue(t, unit)) },
    ],
    // The legend is the list under the chart (React text, with the latest values).
    legend: { show: false },
  };
}

const toAligned = (data: ChartData): uPlot.AlignedData => [data.xs, ...data.lines.map((l) => l.values)];

/**
 * One uPlot chart. Rebuilt when its lines or the colour scheme change (the
 * colours are read from CSS then); new points only replace its data. Its
 * legend is a list under it with each line's latest value, as text for a
 * screen reader and for a glance.
 */
export function Chart({ title, data, unit, empty, about }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const scheme = useColorScheme();
  // Drawn once there is a point and a line; until then the card says why it is empty.
  const drawn = data.xs.length > 0 && data.lines.length > 0;
  const shape = `${unit}|${data.lines.map((l) => `${l.label}:${l.group ?? ""}:${l.dash ? 1 : 0}`).join(",")}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(options(el, data.lines, unit), toAligned(data), el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Built when the card first has something to draw, rebuilt when the lines or the scheme change; new points go through setData below.
  }, [shape, scheme, drawn]);

  useEffect(() => {
    plot.current?.setData(toAligned(data));
  }, [data]);

  const vars = colourVars(data.lines);
  const latest = data.lines.map((line, i) => ({
    label: line.label,
    colour: vars[i]!,
    dash: line.dash ?? false,
    value: [...line.values].reverse().find((v) => v !== null) ?? null,
  }));
  const nonZero = data.lines.reduce((n, line) => n + line.values.filter((v) => v !== null && v > 0).length, 0);
  const headingId = `chart-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <section className="admin-card" aria-labelledby={headingId} data-testid="chart" data-points={data.xs.length} data-nonzero={nonZero}>
      <h3 id={headingId}>{title}</h3>
      <p className="admin-about">{about}</p>
      {drawn ? (
        <div ref={box} className="admin-chart" aria-hidden="true" />
      ) : (
        <p className="admin-empty">{data.xs.length === 0 ? "Waiting for data: a point every 2 s." : empty}</p>
      )}
      {latest.length > 0 && (
        <ul className="admin-latest" aria-label={`${title}, latest values`}>
          {latest.map((l) => (
            <li key={l.label}>
              <span className="admin-swatch" style={{ borderTopColor: `var(${l.colour})`, borderTopStyle: l.dash ? "dashed" : "solid" }} />
              <span className="admin-latest-label">{l.label}</span> <strong>{formatValue(l.value, unit)}</strong>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
