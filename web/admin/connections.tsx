import type { DashboardResponse } from "../../shared/metrics/snapshot.js";
import { connectionsByNode } from "./series.js";

/** Open connections per process (NODE_ID) and transport, as of the latest poll. */
export function ConnectionsByNode({ latest }: { latest: DashboardResponse | undefined }) {
  const rows = connectionsByNode(latest);
  const transports = [...new Set(rows.flatMap((r) => Object.keys(r.byTransport)))].sort();
  return (
    <section className="admin-card" aria-labelledby="nodes-title">
      <h3 id="nodes-title">Connections by process</h3>
      <p className="admin-about">Each process publishes its numbers every 2 s; those seen in the last minute are listed.</p>
      {rows.length === 0 ? (
        <p className="admin-empty">No process has reported yet.</p>
      ) : (
        <div className="admin-table-wrap">
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">Process</th>
                {transports.map((t) => (
                  <th key={t} scope="col">
                    {t}
                  </th>
                ))}
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.node}>
                  <th scope="row" className="admin-mono">
                    {r.node}
                  </th>
                  {transports.map((t) => (
                    <td key={t}>{r.byTransport[t] ?? 0}</td>
                  ))}
                  <td>{r.total}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
