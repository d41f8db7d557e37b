import { useTranslation } from "react-i18next";
import { connectionDisplay, useConnection } from "../../stores/connection.js";

/** A mark, not a word (hidden from screen readers). */
const DOT = "●";

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
  const { t } = useTranslation();
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
        <span className="visually-hidden">{t("connection.status.online")}</span>
      ) : (
        <>
          <span className="dot" aria-hidden="true">
            {DOT}
          </span>
          {state === "too-many-tabs" ? (
            <span>
              {t("connection.status.tooManyTabs")}{" "}
              <button type="button" className="link" data-testid="reconnect" onClick={() => tooManyTabs?.reconnect()}>
                {t("connection.status.reconnect")}
              </button>
            </span>
          ) : state === "unreachable" ? (
            <span>
              {t("connection.status.unreachable")}{" "}
              {tryNow ? (
                <button type="button" className="link" data-testid="try-now" onClick={tryNow}>
                  {t("connection.status.tryNow")}
                </button>
              ) : null}
            </span>
          ) : state === "connecting" ? (
            <span>{t("connection.status.connecting")}</span>
          ) : (
            <span>{t("connection.status.offline")}</span>
          )}
        </>
      )}
    </div>
  );
}
