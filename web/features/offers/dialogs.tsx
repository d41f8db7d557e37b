import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useFocusReturn } from "../../lib/focus-return.js";
import { useTranslation } from "react-i18next";
import { describeError } from "../../api/errors.js";
import { CURRENCY } from "../../lib/money.js";
import { checkOfferPrice } from "./rules.js";

/**
 * A modal form (native <dialog>: the page behind is inert, Escape closes it,
 * focus goes back where it was). `onSubmit` does the work; what it throws is
 * shown in the dialog and the dialog stays open (the caller closes it on
 * success). Its button is disabled while the request is in flight.
 */
export function FormDialog({
  title,
  children,
  submitLabel,
  busyLabel,
  danger = false,
  closeLabel,
  onSubmit,
  onClose,
  testId,
}: {
  title: string;
  children?: ReactNode;
  submitLabel: string;
  busyLabel: string;
  danger?: boolean;
  /** The close button's words; Cancel when not given. */
  closeLabel?: string;
  /** Resolves when done; throws to keep the dialog open with the reason. Returning false keeps it open quietly (a field problem). */
  onSubmit(): Promise<boolean | void>;
  onClose(): void;
  testId: string;
}) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  useFocusReturn(dialog);
  const live = useRef(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();

  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit();
    } catch (err) {
      if (live.current) setError(describeError(err));
    } finally {
      if (live.current) setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="organise-dialog offers-dialog"
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <form onSubmit={(e) => void submit(e)} noValidate>
        <h2 id={titleId}>{title}</h2>
        {children}
        {error ? (
          <p className="error small-text" role="alert" data-testid="dialog-error">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="submit" className={danger ? "primary danger" : "primary"} disabled={busy}>
            {busy ? busyLabel : submitLabel}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            {closeLabel ?? t("common.cancel")}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/**
 * A price for an offer or a counter: checked as typed once it was wrong,
 * Enter sends, Escape closes.
 */
export function PriceDialog({
  title,
  hint,
  submitLabel,
  onPrice,
  onClose,
  testId,
}: {
  title: string;
  hint?: string;
  submitLabel: string;
  onPrice(cents: number): Promise<void>;
  onClose(): void;
  testId: string;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();

  const send = async () => {
    const checked = checkOfferPrice(text);
    if (!checked.ok) {
      setProblem(checked.message);
      input.current?.focus();
      return false;
    }
    await onPrice(checked.cents);
  };

  return (
    <FormDialog title={title} submitLabel={submitLabel} busyLabel={t("offers.price.sending")} onSubmit={send} onClose={onClose} testId={testId}>
      <label className="field" htmlFor={`${id}-p`}>
        <span>{t("offers.price.label", { currency: CURRENCY })}</span>
      </label>
      <input
        ref={input}
        id={`${id}-p`}
        className="offer-price-input"
        inputMode="decimal"
        placeholder={t("offers.price.placeholder")}
        autoFocus
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (problem) {
            const checked = checkOfferPrice(e.target.value);
            setProblem(checked.ok ? null : checked.message);
          }
        }}
        aria-invalid={problem !== null || undefined}
        aria-describedby={[hint ? `${id}-hint` : "", problem ? `${id}-err` : ""].join(" ").trim() || undefined}
      />
      {hint ? (
        <p className="hint small-text muted" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {problem ? (
        <p className="field-error" id={`${id}-err`} role="alert">
          {problem}
        </p>
      ) : null}
    </FormDialog>
  );
}
