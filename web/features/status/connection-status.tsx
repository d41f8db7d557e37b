import { useConnection } from "../../stores/connection.js";
import { TRANSPORT_LABELS } from "../../sync/transport.js";

/**
 * "● Online · WebSocket", "Connecting…", "Offline — messages will be sent when you're back",
 * or "Courier is open in too many tabs" with a Reconnect button (the server closed this tab's
 * connection as the oldest; it stays off until asked, or until the tab is visible again).
 */
export function ConnectionStatus() {
  const { status, transport, browserOffline, tooManyTabs } = useConnection();
  const state = tooManyTabs ? "too-many-tabs" : browserOffline && status !== "online" ? "offline" : status;
  const transportLabel = transport ? TRANSPORT_LABELS[transport] : null;
  return (
    <div
      className={`connection-status is-${state === "too-many-tabs" ? "offline" : state}`}
      data-testid="connection-status"
      data-state={state}
      data-transport={state === "online" ? (transport ?? "") : ""}
      role="status"
      aria-live="polite"
    >
      <span className="dot" aria-hidden="true">
        ●
      </span>
      {tooManyTabs ? (
        <span>
          Courier is open in too many tabs{" "}
          <button type="button" className="link" data-testid="reconnect" onClick={() => tooManyTabs.reconnect()}>
            Reconnect
          </button>
        </span>
      ) : state === "online" ? (
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
