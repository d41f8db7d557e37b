import { useEffect, useState } from "react";
import { useSession } from "../../session.js";
import { dismissPrompt, promptDismissedRecently, UNREACHABLE_TEXT, useNotifications } from "./use-notifications.js";

/**
 * The in-app explanation that comes before the browser's permission prompt,
 * offered once a conversation I am a member of has started (never on page
 * load, never on a request not yet accepted). "Not now" keeps it away for
 * two weeks; the settings screen can turn notifications on at any time.
 */
export function NotificationPrompt({ headline }: { headline: string }) {
  const { api, deviceId } = useSession();
  const { state, busy, error, refresh, turnOn } = useNotifications();
  const [dismissed, setDismissed] = useState(promptDismissedRecently);

  useEffect(() => {
    if (state === null) void refresh();
  }, [state, refresh]);

  if (dismissed) return null;
  if (state === "unreachable") {
    return (
      <div className="notice-banner" role="status" data-testid="notification-prompt">
        <p>{UNREACHABLE_TEXT}</p>
        <button type="button" className="link" onClick={() => (dismissPrompt(), setDismissed(true))}>
          OK
        </button>
      </div>
    );
  }
  if (state !== "default") return null;
  return (
    <div className="notice-banner" role="region" aria-label="Notifications" data-testid="notification-prompt">
      <p>
        <strong>{headline}.</strong> Courier can show a notification when this tab is in the background or closed. You can
        turn it off in Settings at any time.
      </p>
      {error ? (
        <p className="error small-text" role="alert">
          {error}
        </p>
      ) : null}
      <div className="notice-actions">
        <button type="button" className="primary small" disabled={busy} onClick={() => void turnOn(api, deviceId)}>
          {busy ? "Turning on…" : "Turn on notifications"}
        </button>
        <button type="button" className="link" onClick={() => (dismissPrompt(), setDismissed(true))}>
          Not now
        </button>
      </div>
    </div>
  );
}
