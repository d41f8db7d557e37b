import { useConnection } from "../../stores/connection.js";
import { TRANSPORT_LABELS } from "../../sync/transport.js";

/** "● Online · WebSocket", "Connecting…", "Offline — messages will be sent when you're back". */
export function ConnectionStatus() {
  const { status, transport, browserOffline } = useConnection();
  const state = browserOffline && status !== "online" ? "offline" : status;
  const transportLabel = transport ? TRANSPORT_LABELS[transport] : null;
  return (
    <div
      className={`connection-status is-${state}`}
      data-testid="connection-status"
      data-state={state}
      data-transport={state === "online" ? (transport ?? "") : ""}
      role="status"
      aria-live="polite"
    >
      <span className="dot" aria-hidden="true">
        ●
      </span>
      {state === "online" ? (
        <span>
          Online
          {transportLabel ? <span className="transport"> · {transportLabel}</span> : null}
        </span>
      ) : state === "connecting" ? (
        <span>Connecting…</span>
      ) : (
        <span>
          Offline<span className="offline-detail"> — messages will be sent when you're back</span>
        </span>
      )}
    </div>
  );
}
