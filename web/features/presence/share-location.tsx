import { type SyntheticEvent, useId, useState } from "react";
import { createPortal } from "react-dom";
import { Trans, useTranslation } from "react-i18next";
import { type Location, locationSchema, roundLocation, coordinatesText, type SendRequest } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { t as translate } from "../../i18n/index.js";
import { settle } from "../../db/outbox.js";
import { useSession } from "../../session.js";
import { SmallDialog } from "../conversations/organise-dialogs.js";
import { MapPinIcon } from "./location-icons.js";

const stop = (e: SyntheticEvent) => e.stopPropagation();

/** How long the browser may take to find where we are. */
const POSITION_TIMEOUT_MS = 15_000;

type Finding = { name: "idle" } | { name: "finding" } | { name: "found"; place: Location } | { name: "failed"; message: string };

/** What the browser's answer means to the person. */
export function positionProblem(error: Pick<GeolocationPositionError, "code">): string {
  // 1 PERMISSION_DENIED, 2 POSITION_UNAVAILABLE, 3 TIMEOUT (constants are not on every test DOM).
  if (error.code === 1) return translate("presence.location.blocked");
  if (error.code === 3) return translate("presence.location.timeout");
  return translate("presence.location.unknown");
}

/**
 * "Share location" beside the photo button: asks the browser for the
 * position only on this tap (that is when the permission prompt shows),
 * rounds it to about 100 m, and opens a small form to add a label before
 * sending. Sent at once (not through the outbox): a place is of the
 * moment, so an offline tap says so instead of sending it later.
 */
export function ShareLocationButton({ conversationId, disabled }: { conversationId: string; disabled?: boolean }) {
  const { t } = useTranslation();
  const [finding, setFinding] = useState<Finding>({ name: "idle" });
  const locate = () => {
    if (!("geolocation" in navigator)) return setFinding({ name: "failed", message: t("presence.location.unsupported") });
    setFinding({ name: "finding" });
    navigator.geolocation.getCurrentPosition(
      (position) => setFinding({ name: "found", place: roundLocation({ lat: position.coords.latitude, lng: position.coords.longitude }) }),
      (error) => setFinding({ name: "failed", message: positionProblem(error) }),
      { enableHighAccuracy: false, timeout: POSITION_TIMEOUT_MS, maximumAge: 60_000 },
    );
  };
  const close = () => setFinding({ name: "idle" });
  return (
    <>
      <button
        type="button"
        className="attach"
        aria-label={t("presence.location.share")}
        title={t("presence.location.share")}
        aria-busy={finding.name === "finding"}
        disabled={disabled}
        onClick={() => finding.name !== "finding" && locate()}
        data-testid="share-location"
      >
        <MapPinIcon />
      </button>
      {finding.name === "finding" ? (
        <p className="location-status small-text muted" role="status">
          {t("presence.location.finding")}
        </p>
      ) : null}
      {finding.name === "failed" ? (
        <p className="location-status error small-text" role="alert" data-testid="location-problem">
          {finding.message}{" "}
          <button type="button" className="secondary small" onClick={close}>
            {t("presence.location.dismiss")}
          </button>
        </p>
      ) : null}
      {/* In a portal: the button sits in the composer's <form>, and a form inside a form is submitted as the outer one
          (the page reloaded). Its React events still bubble to the composer, so they stop here. */}
      {finding.name === "found"
        ? createPortal(
            <div onSubmit={stop} onKeyDown={stop} onPaste={stop}>
              <LocationDialog conversationId={conversationId} place={finding.place} onClose={close} />
            </div>,
            document.body,
          )
        : null}
    </>
  );
}

function LocationDialog({ conversationId, place, onClose }: { conversationId: string; place: Location; onClose(): void }) {
  const { t } = useTranslation();
  const { api, db } = useSession();
  const [label, setLabel] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // One id for every try: a retry after a lost answer is the same message (the server's idempotency).
  const [clientMsgId] = useState(() => crypto.randomUUID());
  const hint = useId();
  const send = async () => {
    if (busy) return;
    const trimmed = label.trim();
    const parsed = locationSchema.safeParse({ ...place, ...(trimmed ? { label: trimmed } : {}) });
    if (!parsed.success) return setError(parsed.error.issues[0]?.message ?? t("presence.location.badLabel"));
    const request: SendRequest = { clientMsgId, conversationId, kind: "location", body: "", location: parsed.data };
    setBusy(true);
    setError(null);
    try {
      await settle(db, await api.send(request));
      onClose();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <SmallDialog
      title={t("presence.location.dialogTitle")}
      error={error}
      onSubmit={() => void send()}
      onClose={onClose}
      testId="location-dialog"
      submit={t("common.send")}
      busy={busy}
    >
      <p className="muted small-text">
        <Trans
          i18nKey="presence.location.aboutHere"
          values={{ coords: coordinatesText(place) }}
          components={{ coords: <span data-testid="location-preview" /> }}
        />
      </p>
      <label className="field">
        <span>{t("presence.location.label")}</span>
        <input
          value={label}
          maxLength={200}
          placeholder={t("presence.location.placeholder")}
          aria-describedby={hint}
          onChange={(e) => setLabel(e.target.value)}
          data-testid="location-label"
          autoFocus
        />
      </label>
      <p id={hint} className="muted small-text">
        {t("presence.location.everyoneSees")}
      </p>
    </SmallDialog>
  );
}
