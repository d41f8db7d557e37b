import { diagnosticsReportSchema } from "../../shared/protocol/index.js";
import { describeAdminError, type AdminApi } from "./api.js";
import { formatValue } from "./format.js";
import { LookupForm } from "./lookup-form.js";
import type { DiagnosticsRow } from "./schemas.js";

/** The few facts of a diagnostics report an operator reads first; the rest is in the raw JSON. */
export function keyFacts(result: DiagnosticsRow["result"]): { label: string; value: string }[] {
  const facts = [{ label: "Status", value: result.detail ? `${result.status}: ${result.detail}` : result.status }];
  const report = diagnosticsReportSchema.safeParse(result.report);
  if (!report.success) return facts;
  const r = report.data;
  const lastTransport = r.transportLog[r.transportLog.length - 1];
  const transport = lastTransport && typeof lastTransport.transport === "string" ? lastTransport.transport : null;
  return [
    ...facts,
    { label: "App", value: `${r.appVersion} (protocol ${r.protocol})` },
    {
      label: "Outbox",
      value:
        r.outbox.count === 0
          ? "empty"
          : `${r.outbox.count} waiting, ${r.outbox.failed} failed, oldest ${formatValue(r.outbox.oldestAgeMs, "ms")}`,
    },
    ...(transport ? [{ label: "Transport", value: transport }] : []),
    { label: "Recent errors", value: String(r.recentErrors.length) },
    { label: "Stored rows", value: String(Object.values(r.storage).reduce((a, b) => a + b, 0)) },
  ];
}

/** The latest `diagnostics` result of each device of a user (`GET /api/admin/diagnostics?userId=`). */
export function DeviceDiagnostics({ api }: { api: AdminApi }) {
  return (
    <section className="admin-card" aria-labelledby="diagnostics-title">
      <h2 id="diagnostics-title">Device diagnostics</h2>
      <p className="admin-about">The latest report of each device, after a diagnostics command (POST /api/admin/commands).</p>
      <LookupForm inputId="diagnostics-user" label="User id" button="Show devices" run={async (id) => (await api.diagnostics(id)).devices} failure={describeAdminError}>
        {(devices) => <Devices devices={devices} />}
      </LookupForm>
    </section>
  );
}

function Devices({ devices }: { devices: DiagnosticsRow[] }) {
  if (devices.length === 0) return <p className="admin-empty">No device of this user has reported diagnostics. Send them the diagnostics command first.</p>;
  return (
    <ul className="admin-devices">
      {devices.map((d) => (
        <li key={d.deviceId} className="admin-device">
          <h3 className="admin-mono">{d.deviceId}</h3>
          <p className="admin-muted">Reported {new Date(d.at).toLocaleString()}</p>
          <dl className="admin-facts">
            {keyFacts(d.result).map((f) => (
              <div key={f.label}>
                <dt>{f.label}</dt>
                <dd>{f.value}</dd>
              </div>
            ))}
          </dl>
          <details>
            <summary>Raw report</summary>
            <pre className="admin-raw">{JSON.stringify(d.result, null, 2)}</pre>
          </details>
        </li>
      ))}
    </ul>
  );
}
