import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { settingsPatchSchema, type SettingsPatch } from "../../../shared/protocol/index.js";

/** What the wire schema says of a patch, before anything is sent: null when it may go. */
function problemWith(patch: SettingsPatch): string | null {
  const parsed = settingsPatchSchema.safeParse(patch);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? "That can't be used.");
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
  submit = "Save",
  busy = false,
}: {
  title: string;
  children: ReactNode;
  error: string | null;
  onSubmit(): void;
  onClose(): void;
  testId: string;
  /** The submit button's words (safety's report dialog: "Send"). */
  submit?: string;
  busy?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
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
            {submit}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** A private name for a conversation (or, on a direct chat, for the person); empty shows their own name again. */
export function RemarkDialog({ name, remark, onSave, onClose }: { name: string; remark: string; onSave(remark: string): void; onClose(): void }) {
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
    <SmallDialog title="Remark" error={error} onSubmit={save} onClose={onClose} testId="remark-dialog">
      <label className="field">
        <span>A name only you see for “{name}”</span>
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
        Leave it empty to show their own name again.
      </p>
    </SmallDialog>
  );
}

const NEW_LABEL = "\u0000new";

/** One label per conversation: one of mine, a new one, or none. */
export function LabelDialog({ label, labels, onSave, onClose }: { label: string; labels: string[]; onSave(label: string): void; onClose(): void }) {
  const [choice, setChoice] = useState(label);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const name = useId();
  const save = () => {
    const next = choice === NEW_LABEL ? typed.trim() : choice;
    if (choice === NEW_LABEL && !next) return setError("Type a name for the new label.");
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
    <SmallDialog title="Label" error={error} onSubmit={save} onClose={onClose} testId="label-dialog">
      <fieldset className="label-choices">
        <legend className="muted small-text">Labels are folders above your chats. Only you see them.</legend>
        {option("", "None")}
        {labels.map((l) => option(l, l))}
        {option(NEW_LABEL, "New label…")}
      </fieldset>
      {choice === NEW_LABEL ? (
        <label className="field">
          <span>New label</span>
          <input autoFocus value={typed} maxLength={40} aria-invalid={error !== null || undefined} onChange={(e) => (setTyped(e.target.value), setError(null))} />
        </label>
      ) : null}
    </SmallDialog>
  );
}
