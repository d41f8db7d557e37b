import { useEffect, useMemo, useRef } from "react";
import type { AdminApi } from "./api.js";
import { Chart } from "./chart.js";
import { ConnectionsByNode } from "./connections.js";
import { ago, span, type Unit } from "./format.js";
import type { PollStatus } from "./poller.js";
import { PushFunnel } from "./push-funnel.js";
import {
  arrivalRate,
  compensationDelay,
  compensationRate,
  connectionsByTransport,
  deliveryLatency,
  errorsByCode,
  messagesInSpan,
  messagesPerSecond,
  pushFunnel,
  retransmissions,
  samplesOf,
  type ChartData,
  type Sample,
} from "./series.js";
import { useDashboard } from "./use-dashboard.js";

/** The charts, in reading order: what each shows and how it is computed (series.ts). */
const CHARTS: { title: string; about: string; unit: Unit; empty: string; build: (samples: Sample[]) => ChartData }[] = [
  { title: "Messages per second", about: "Messages stored, all processes.", unit: "perSecond", empty: "No data yet.", build: messagesPerSecond },
  {
    title: "Delivery latency",
    about: "Committed → acked by a device, per transport: p50 solid, p95 and p99 dashed.",
    unit: "ms",
    empty: "No delivery acked yet.",
    build: deliveryLatency,
  },
  { title: "Arrival rate", about: "Entries acked ÷ entries pushed in each interval.", unit: "percent", empty: "No data yet.", build: arrivalRate },
  {
    title: "Compensation rate",
    about: "Entries a device acked only after a pull, although they were pushed ÷ entries acked.",
    unit: "percent",
    empty: "No data yet.",
    build: compensationRate,
  },
  {
    title: "Compensation delay",
    about: "First push → ack of a compensated entry: p50 solid, p95 dashed.",
    unit: "ms",
    empty: "No data yet.",
    build: compensationDelay,
  },
  { title: "Retransmissions", about: "Entries pushed again, and retransmission rounds given up.", unit: "perSecond", empty: "No data yet.", build: retransmissions },
  { title: "Connections by transport", about: "Open connections, all processes.", unit: "count", empty: "No connection yet.", build: connectionsByTransport },
  { title: "Errors by code", about: "Error responses per second, by code.", unit: "perSecond", empty: "No error responses in this span.", build: errorsByCode },
];

/** The banner for a poll that failed; null while live. */
function StatusBanner({ status, onSignOut }: { status: PollStatus; onSignOut: () => void }) {
  switch (status.name) {
    case "loading":
      return <p className="admin-note">Loading the dashboard…</p>;
    case "live":
      return null;
    case "unreachable":
      return (
        <p className="admin-error" role="alert">
          The server is unreachable. Trying again every 2 s; the charts show what was seen before.
        </p>
      );
    case "failing":
      return (
        <p className="admin-error" role="alert">
          The dashboard could not be read: {status.message} Trying again every 2 s.
        </p>
      );
    case "unauthorized":
      return (
        <div className="admin-error admin-banner" role="alert">
          <p>The server refused the admin token (401): it may have changed.</p>
          <button type="button" className="admin-button" onClick={onSignOut}>
            Sign in again
          </button>
        </div>
      );
    case "off":
      return (
        <p className="admin-error" role="alert">
          The admin API is off on this server: set ADMIN_TOKEN and restart it.
        </p>
      );
  }
}

/**
 * Delivery, live: `GET /api/admin/dashboard` every 2 s, ten minutes kept in
 * memory, each point the window between two polls (web/admin/series.ts).
 */
export function Dashboard({ api, onSignOut }: { api: AdminApi; onSignOut: () => void }) {
  const { state, now } = useDashboard(api);
  // After signing in the form is gone: the keyboard goes on from the dashboard's heading, not from the top of the page.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const { history, status, lastOkAt } = state;
  const samples = useMemo(() => samplesOf(history), [history]);
  const charts = useMemo(() => CHARTS.map((c) => ({ ...c, data: c.build(samples) })), [samples]);
  const funnel = useMemo(() => pushFunnel(samples), [samples]);
  const messageCount = useMemo(() => messagesInSpan(samples), [samples]);
  const latest = history[history.length - 1];
  const covered = history.length > 1 ? latest!.at - history[0]!.at : 0;

  return (
    <section className="admin-dashboard" aria-labelledby="dashboard-title">
      <div className="admin-section-head">
        <h2 id="dashboard-title" ref={heading} tabIndex={-1}>
          Delivery
        </h2>
        <p className="admin-updated" data-testid="updated">
          {lastOkAt === null ? "Not updated yet" : `Updated ${ago(now - lastOkAt)}`}
          {latest && ` · ${latest.nodes.length} ${latest.nodes.length === 1 ? "process" : "processes"}`}
        </p>
      </div>
      <StatusBanner status={status} onSignOut={onSignOut} />
      {samples.length === 0 && status.name === "live" && <p className="admin-note">Collecting: rates need two polls, 2 s apart.</p>}
      {samples.length > 0 && messageCount === 0 && (
        <p className="admin-note" data-testid="no-traffic">
          No messages in the last {span(covered)}. The charts fill in as people chat.
        </p>
      )}
      <div className="admin-grid">
        {charts.map((c) => (
          <Chart key={c.title} title={c.title} about={c.about} unit={c.unit} data={c.data} empty={c.empty} />
        ))}
        <PushFunnel counts={funnel} span={span(covered)} />
        <ConnectionsByNode latest={latest} />
      </div>
    </section>
  );
}
