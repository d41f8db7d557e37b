import { memo, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSession } from "../../session.js";
import {
  dismissOffer,
  offerDismissed,
  unreachableText,
  useNotifications,
} from "./use-notifications.js";

/**
 * The notifications offer: one compact line before the browser's permission
 * prompt, shown once a conversation I am a member of has started (never on
 * page load, never on a request not yet accepted). Dismissed, it is gone for
 * good for this account on this browser, in every conversation; Settings can
 * turn notifications on at any time. A browser that never answers the
 * permission request gets a message after 20 s (push-client.ts) and the
 * button back.
 */
export const NotificationPrompt = memo(function NotificationPrompt({ headline }: { headline: string }) {
  const { t } = useTranslation();
  const { api, deviceId, user } = useSession();
  const { state, busy, error, refresh, turnOn } = useNotifications();
  const [dismissed, setDismissed] = useState(() => offerDismissed(user.id));

  useEffect(() => {
    if (state === null) void refresh();
  }, [state, refresh]);

  const dismiss = () => {
    dismissOffer(user.id);
    setDismissed(true);
  };

  if (dismissed) return null;
  if (state === "unreachable") {
    return (
      <div
        className="notify-offer"
        role="status"
        data-testid="notification-prompt"
      >
        <p className="notify-offer-text">{unreachableText()}</p>
        <button type="button" className="link" onClick={dismiss}>
          {t("common.ok")}
        </button>
      </div>
    );
  }
  if (state !== "default") return null;
  return (
    <div
      className="notify-offer"
      role="region"
      aria-label={t("notifications.offer.label")}
      data-testid="notification-prompt"
    >
      <p className="notify-offer-text">{headline}</p>
      {/* Not disabled while busy: a disabled button drops keyboard focus. */}
      <button
        type="button"
        className="primary small"
        aria-label={
          busy ? t("notifications.offer.turningOnLabel") : t("notifications.offer.turnOnLabel")
        }
        aria-busy={busy}
        onClick={() => void (busy ? undefined : turnOn(api, deviceId))}
      >
        {busy ? t("notifications.offer.turningOn") : t("notifications.offer.turnOn")}
      </button>
      <button
        type="button"
        className="icon small"
        aria-label={t("notifications.offer.dismissLabel")}
        title={t("notifications.offer.dismissTitle")}
        onClick={dismiss}
      >
        {CLOSE_MARK}
      </button>
      {error ? (
        <p className="notify-offer-error error small-text" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
});

/** The close button's mark: a symbol, not a word (its aria-label names it). */
const CLOSE_MARK = "×";
