import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { describeError } from "../../api/errors.js";

/**
 * One request at a time from a button or form, with its failure in words
 * (403 "Only the group's creator or an admin…", 409, 429 "Too many… try again in 40 s").
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>): Promise<boolean> => {
    if (busy) return false;
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (err) {
      setError(describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

/** The last failure of an action, said where it happened. */
export function ActionError({ error }: { error: string | null }) {
  return error ? (
    <p className="error small-text" role="alert">
      {error}
    </p>
  ) : null;
}

/**
 * An action that can't be undone (leave a group, decline every request),
 * asked once more: its button opens a question with the act and Cancel.
 * `onConfirm` answers whether it was done (the question then closes).
 */
export function ConfirmedAction(props: {
  className: string;
  /** The button that asks, e.g. "Leave group". */
  trigger: string;
  /** The question's accessible name, e.g. "Confirm leaving". */
  label: string;
  question: ReactNode;
  /** The button that acts, e.g. "Leave". */
  act: ReactNode;
  busy: boolean;
  error: string | null;
  onConfirm(): Promise<boolean>;
}) {
  const { t } = useTranslation();
  const [confirming, setConfirming] = useState(false);
  const confirm = async () => {
    if (!props.busy && (await props.onConfirm())) setConfirming(false);
  };
  return (
    <div className={props.className}>
      {confirming ? (
        <div className="notice-banner" role="group" aria-label={props.label}>
          <p>{props.question}</p>
          <div className="notice-actions">
            <button type="button" className="danger small" aria-busy={props.busy} onClick={() => void confirm()} autoFocus>
              {props.act}
            </button>
            <button type="button" className="secondary small" disabled={props.busy} onClick={() => setConfirming(false)}>
              {t("common.cancel")}
            </button>
          </div>
        </div>
      ) : (
        <button type="button" className="secondary small danger-text" onClick={() => setConfirming(true)}>
          {props.trigger}
        </button>
      )}
      <ActionError error={props.error} />
    </div>
  );
}
