import { connectionDisplay, useConnection } from "../../stores/connection.js";

/**
 * The header's word on the connection, in plain words and only when it
 * matters. Online it shows nothing (read out as "Online" to screen readers):
 * like the chat apps people know, the header speaks up only when messages
 * cannot go through, so a warning is noticed rather than lost in a line that
 * is always there. The transport in use is in Settings → Advanced.
 *
 * - "You're offline — messages will be sent when you're back online": the browser has no network;
 * - "Can't reach Courier — retrying…" with "Try now": a network, but the server does not answer;
 * - "Connecting…": the first connection, or the first retry after a drop;
 * - "Courier is open in too many tabs" with "Reconnect": the server closed this tab's connection as
 *   the oldest; it stays off until asked, or until the tab is visible again.
 *
 * `data-state` is the state above (e2e tests wait on it); `data-transport` names the transport while online.
 */
export function ConnectionStatus() {
  const { status, transport, browserOffline, unreachable, tooManyTabs, tryNow } = useConnection();
  const state = connectionDisplay({ status, browserOffline, unreachable, tooManyTabs });
  return (
    <div
      className={`connection-status is-${state}`}
      data-testid="connection-status"
      data-state={state}
      data-transport={state === "online" ? (transport ?? "") : ""}
      role="status"
      aria-live="polite"
    >
      {state === "online" ? (
        <span className="visually-hidden">Online</span>
      ) : (
        <>
          <span className="dot" aria-hidden="true">
            ●
          </span>
          {state === "too-many-tabs" ? (
            <span>
              Courier is open in too many tabs{" "}
              <button type="button" className="link" data-testid="reconnect" onClick={() => tooManyTabs?.reconnect()}>
                Reconnect
              </button>
            </span>
          ) : state === "unreachable" ? (
            <span>
              Can't reach Courier — retrying…{" "}
              {tryNow ? (
                <button type="button" className="link" data-testid="try-now" onClick={tryNow}>
                  Try now
                </button>
              ) : null}
            </span>
          ) : state === "connecting" ? (
            <span>Connecting…</span>
          ) : (
            <span>You're offline — messages will be sent when you're back online.</span>
          )}
        </>
      )}
    </div>
  );
}
