import { useId, useState } from "react";
import { createReportSchema, REPORT_NOTE_MAX, REPORT_REASON_LABELS, REPORT_REASONS, type ReportReason, type ReportType } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { useSession } from "../../session.js";
import { SmallDialog } from "../conversations/organise-dialogs.js";
import { useAction } from "../group/action.js";
import { showToast } from "../shell/toasts.js";
import { setBlocked } from "./blocks.js";

export const REPORT_THANKS = "Thanks for telling us. We'll look into it.";

const WHAT: Record<ReportType, string> = { message: "this message", user: "this person", item: "this listing" };

/**
 * Report a message, a person or a listing (docs/protocol.md "Safety (issue
 * 14)"): a reason (radio buttons), an optional note, Send; a thank-you toast.
 * A refusal stays in the dialog, which stays open.
 */
export function ReportDialog({ type, id, onClose }: { type: ReportType; id: string; onClose(): void }) {
  const session = useSession();
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [note, setNote] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const name = useId();
  const send = async () => {
    if (!reason) return setProblem("Choose a reason.");
    const parsed = createReportSchema.safeParse({ type, id, reason, ...(note.trim() ? { note: note.trim() } : {}) });
    if (!parsed.success) return setProblem(parsed.error.issues[0]?.message ?? "That can't be sent.");
    if (!(await run(() => session.api.http.request("POST", "/api/reports", { body: parsed.data })))) return;
    onClose();
    showToast(REPORT_THANKS, "info");
  };
  return (
    <SmallDialog title={`Report ${WHAT[type]}`} error={problem ?? error} onSubmit={() => void send()} onClose={onClose} testId="report-dialog" submit="Send" busy={busy}>
      <fieldset className="report-reasons">
        <legend>Why are you reporting {WHAT[type]}?</legend>
        {REPORT_REASONS.map((r, i) => (
          <label key={r} className="report-reason">
            <input type="radio" name={name} value={r} checked={reason === r} autoFocus={i === 0} onChange={() => (setReason(r), setProblem(null))} />
            <span>{REPORT_REASON_LABELS[r]}</span>
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>Anything to add? (optional)</span>
        <textarea value={note} maxLength={REPORT_NOTE_MAX} rows={3} onChange={(e) => (setNote(e.target.value), setProblem(null))} />
      </label>
      <p className="muted small-text">Only Courier's team sees reports; {type === "user" ? "they" : "the person"} won't know it was you.</p>
    </SmallDialog>
  );
}

/** Asks before blocking (unblocking needs no question); the change shows once the server agrees. */
export function BlockDialog({ userId, name, onClose }: { userId: string; name: string; onClose(): void }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  const block = async () => {
    if (!(await run(() => setBlocked(session, userId, true)))) return;
    onClose();
    showToast(`You blocked ${name}.`, "info");
  };
  return (
    <SmallDialog title={`Block ${name}?`} error={error} onSubmit={() => void block()} onClose={onClose} testId="block-dialog" submit="Block" busy={busy}>
      <p>They won't be able to message you or start a chat with you, and you won't see their messages in groups. They aren't told. You can unblock them in Settings.</p>
    </SmallDialog>
  );
}

/** Unblocks, saying so in a toast; answers whether it worked. */
export async function unblock(session: ReturnType<typeof useSession>, userId: string, name: string): Promise<boolean> {
  try {
    await setBlocked(session, userId, false);
    showToast(`You unblocked ${name}.`, "info");
    return true;
  } catch (err) {
    showToast(`Not unblocked. ${describeError(err)}`);
    return false;
  }
}

/** "Report" on someone else's listing (the catalogue's cards). */
export function ReportListingButton({ itemId }: { itemId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="link small-text report-listing" onClick={() => setOpen(true)} data-testid="report-listing">
        Report
      </button>
      {open ? <ReportDialog type="item" id={itemId} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
