import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { createReportSchema, REPORT_NOTE_MAX, REPORT_REASONS, type ReportReason, type ReportType } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { t as translate } from "../../i18n/index.js";
import { useSession } from "../../session.js";
import { SmallDialog } from "../conversations/organise-dialogs.js";
import { useAction } from "../group/action.js";
import { showToast } from "../shell/toasts.js";
import { setBlocked } from "./blocks.js";

/**
 * Report a message, a person or a listing (docs/protocol.md "Safety (issue
 * 14)"): a reason (radio buttons), an optional note, Send; a thank-you toast.
 * A refusal stays in the dialog, which stays open.
 */
export function ReportDialog({ type, id, onClose }: { type: ReportType; id: string; onClose(): void }) {
  const { t } = useTranslation();
  const session = useSession();
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [note, setNote] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const name = useId();
  const send = async () => {
    if (!reason) return setProblem(t("safety.report.chooseReason"));
    const parsed = createReportSchema.safeParse({ type, id, reason, ...(note.trim() ? { note: note.trim() } : {}) });
    // The schema's own words are English (shared/protocol): the field's limits already keep a note within them.
    if (!parsed.success) return setProblem(t("safety.report.cantSend"));
    if (!(await run(() => session.api.http.request("POST", "/api/reports", { body: parsed.data })))) return;
    onClose();
    showToast(t("safety.report.thanks"), "info");
  };
  return (
    <SmallDialog
      title={t(`safety.report.title.${type}`)}
      error={problem ?? error}
      onSubmit={() => void send()}
      onClose={onClose}
      testId="report-dialog"
      submit={t("common.send")}
      busy={busy}
    >
      <fieldset className="report-reasons">
        <legend>{t(`safety.report.why.${type}`)}</legend>
        {REPORT_REASONS.map((r, i) => (
          <label key={r} className="report-reason">
            <input type="radio" name={name} value={r} checked={reason === r} autoFocus={i === 0} onChange={() => (setReason(r), setProblem(null))} />
            <span>{t(`safety.report.reasons.${r}`)}</span>
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>{t("safety.report.note")}</span>
        <textarea value={note} maxLength={REPORT_NOTE_MAX} rows={3} onChange={(e) => (setNote(e.target.value), setProblem(null))} />
      </label>
      <p className="muted small-text">{type === "user" ? t("safety.report.privateUser") : t("safety.report.privateOther")}</p>
    </SmallDialog>
  );
}

/** Asks before blocking (unblocking needs no question); the change shows once the server agrees. */
export function BlockDialog({ userId, name, onClose }: { userId: string; name: string; onClose(): void }) {
  const { t } = useTranslation();
  const session = useSession();
  const { busy, error, run } = useAction();
  const block = async () => {
    if (!(await run(() => setBlocked(session, userId, true)))) return;
    onClose();
    showToast(t("safety.block.done", { name }), "info");
  };
  return (
    <SmallDialog title={t("safety.block.title", { name })} error={error} onSubmit={() => void block()} onClose={onClose} testId="block-dialog" submit={t("safety.block.submit")} busy={busy}>
      <p>{t("safety.block.body")}</p>
    </SmallDialog>
  );
}

/** Unblocks, saying so in a toast; answers whether it worked. */
export async function unblock(session: ReturnType<typeof useSession>, userId: string, name: string): Promise<boolean> {
  try {
    await setBlocked(session, userId, false);
    showToast(translate("safety.block.undone", { name }), "info");
    return true;
  } catch (err) {
    showToast(translate("safety.block.unblockFailed", { reason: describeError(err) }));
    return false;
  }
}

/** "Report" on someone else's listing (the catalogue's cards). */
export function ReportListingButton({ itemId }: { itemId: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="link small-text report-listing" onClick={() => setOpen(true)} data-testid="report-listing">
        {t("safety.report.button")}
      </button>
      {open ? <ReportDialog type="item" id={itemId} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
