import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useFocusReturn } from "../../lib/focus-return.js";
import { useTranslation } from "react-i18next";
import { settingsPatchSchema, type SettingsPatch } from "../../../shared/protocol/index.js";
import { language, t as translate } from "../../i18n/index.js";

/**
 * What the wire schema says of a patch, before anything is sent: null when it
 * may go. The schema words its problems in English (shared/protocol), so other
 * languages get one sentence of their own, as with server errors (describeError).
 */
function problemWith(patch: SettingsPatch): string | null {
  const parsed = settingsPatchSchema.safeParse(patch);
  if (parsed.success) return null;
  const message = parsed.error.issues[0]?.message;
  return message && language() === "en" ? message : translate("chats.dialogs.cantUse");
}

/**
 * A small modal form (native <dialog>: the page behind is inert, Escape
 * cancels, focus goes back to what opened it when it closes).
 */
export function SmallDialog({
  title,
  children,
  error,
  onSubmit,
  onClose,
  testId,
  submit,
  busy = false,
}: {
  title: string;
  children: ReactNode;
  error: string | null;
  onSubmit(): void;
  onClose(): void;
  testId: string;
  /** The submit button's words (safety's report dialog: "Send"); Save when not given. */
  submit?: string;
  busy?: boolean;
}) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  useFocusReturn(dialog);
  const titleId = useId();
  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
  }, []);
  const onFormSubmit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <dialog ref={dialog} className="organise-dialog" aria-labelledby={titleId} data-testid={testId} onCancel={(e) => (e.preventDefault(), onClose())}>
      <form onSubmit={onFormSubmit} noValidate>
        <h2 id={titleId}>{title}</h2>
        {children}
        {error ? (
          <p className="error small-text" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="submit" className="primary" aria-busy={busy}>
            {submit ?? t("common.save")}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            {t("common.cancel")}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** A private name for a conversation (or, on a direct chat, for the person); empty shows their own name again. */
export function RemarkDialog({ name, remark, onSave, onClose }: { name: string; remark: string; onSave(remark: string): void; onClose(): void }) {
  const { t } = useTranslation();
  const [text, setText] = useState(remark);
  const [error, setError] = useState<string | null>(null);
  const hint = useId();
  const save = () => {
    const next = text.trim();
    const problem = problemWith({ remark: next });
    if (problem) return setError(problem);
    onSave(next);
  };
  return (
    <SmallDialog title={t("chats.dialogs.remark.title")} error={error} onSubmit={save} onClose={onClose} testId="remark-dialog">
      <label className="field">
        <span>{t("chats.dialogs.remark.field", { name })}</span>
        <input
          autoFocus
          value={text}
          maxLength={100}
          aria-describedby={hint}
          aria-invalid={error !== null || undefined}
          onChange={(e) => (setText(e.target.value), setError(null))}
        />
      </label>
      <p id={hint} className="muted small-text">
        {t("chats.dialogs.remark.hint")}
      </p>
    </SmallDialog>
  );
}

const NEW_LABEL = "\u0000new";

/** One label per conversation: one of mine, a new one, or none. */
export function LabelDialog({ label, labels, onSave, onClose }: { label: string; labels: string[]; onSave(label: string): void; onClose(): void }) {
  const { t } = useTranslation();
  const [choice, setChoice] = useState(label);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const name = useId();
  const save = () => {
    const next = choice === NEW_LABEL ? typed.trim() : choice;
    if (choice === NEW_LABEL && !next) return setError(t("chats.dialogs.label.typeName"));
    const problem = problemWith({ label: next });
    if (problem) return setError(problem);
    onSave(next);
  };
  const option = (value: string, text: string) => (
    <label className="choice" key={value}>
      <input type="radio" name={name} value={value} checked={choice === value} onChange={() => (setChoice(value), setError(null))} />
      <span>{text}</span>
    </label>
  );
  return (
    <SmallDialog title={t("chats.dialogs.label.title")} error={error} onSubmit={save} onClose={onClose} testId="label-dialog">
      <fieldset className="label-choices">
        <legend className="muted small-text">{t("chats.dialogs.label.legend")}</legend>
        {option("", t("chats.dialogs.label.none"))}
        {labels.map((l) => option(l, l))}
        {option(NEW_LABEL, t("chats.dialogs.label.newOption"))}
      </fieldset>
      {choice === NEW_LABEL ? (
        <label className="field">
          <span>{t("chats.dialogs.label.newField")}</span>
          <input autoFocus value={typed} maxLength={40} aria-invalid={error !== null || undefined} onChange={(e) => (setTyped(e.target.value), setError(null))} />
        </label>
      ) : null}
    </SmallDialog>
  );
}
