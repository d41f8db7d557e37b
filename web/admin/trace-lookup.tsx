import { CourierError } from "../../shared/protocol/index.js";
import { describeAdminError, type AdminApi } from "./api.js";
import { offset } from "./format.js";
import { LookupForm } from "./lookup-form.js";
import type { Trace } from "./schemas.js";

/** What a failed lookup says: 404 in the operator's words, 400 as the server put it. */
export function traceError(error: unknown): string {
  if (error instanceof CourierError && error.code === "not_found") return "No trace: unknown message or older than an hour.";
  return describeAdminError(error);
}

const time = (at: number) => new Date(at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dash = (v: string | null | undefined) => v ?? "–";

/** The path of one message: `GET /api/admin/messages/:id/trace` as a timeline from `stored`. */
export function TraceLookup({ api }: { api: AdminApi }) {
  return (
    <section className="admin-card" aria-labelledby="trace-title">
      <h2 id="trace-title">Message trace</h2>
      <p className="admin-about">Where a recent message went: stored, pushed, pulled, acked, handed to Web Push, read. Kept for an hour.</p>
      <LookupForm inputId="trace-id" label="Message id" button="Look up" run={(id) => api.trace(id)} failure={traceError}>
        {(trace) => <Timeline trace={trace} />}
      </LookupForm>
    </section>
  );
}

function Timeline({ trace }: { trace: Trace }) {
  const { message, events } = trace;
  const start = events.find((e) => e.event === "stored")?.at ?? message.at;
  return (
    <div data-testid="trace">
      <p className="admin-note">
        Message <span className="admin-mono">{message.id}</span>, #{message.seq} of conversation{" "}
        <span className="admin-mono">{message.conversationId}</span>, sent {time(message.at)} by{" "}
        <span className="admin-mono">{message.senderId}</span>.
      </p>
      {events.length === 0 ? (
        <p className="admin-empty">No events recorded for this message yet.</p>
      ) : (
        <div className="admin-table-wrap">
          <table className="admin-table">
            <caption className="visually-hidden">Events of message {message.id}, from stored</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Device</th>
                <th scope="col">Transport</th>
                <th scope="col">Process</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e, i) => (
                <tr key={i} data-event={e.event}>
                  <td title={new Date(e.at).toISOString()}>{offset(e.at - start)}</td>
                  <td>
                    <span className={`admin-event admin-event-${e.event}`}>{e.event.replace("_", " ")}</span>
                  </td>
                  <td className="admin-mono">{dash(e.deviceId ?? (e.userId ? `user ${e.userId}` : null))}</td>
                  <td>{dash(e.transport)}</td>
                  <td className="admin-mono">{dash(e.node)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
