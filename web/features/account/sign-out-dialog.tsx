import { useLiveQuery } from "dexie-react-hooks";
import { useEffect, useId, useRef, useState, type SyntheticEvent } from "react";
import { useTranslation } from "react-i18next";
import { describeError } from "../../api/errors.js";
import type { DraftRow, OutboxRow } from "../../db/records.js";
import { useSession, type UnsentChoice } from "../../session.js";
import { useConnection } from "../../stores/connection.js";
import { chatName } from "../conversations/summary-text.js";
import { describeLine, unsentHeading, unsentLines } from "./unsent-text.js";

/**
 * Sign-out with something not sent (db/unsent.ts): say what, then send it
 * first, keep it for this account's next sign-in here, or delete it.
 *
 *   asking ──Send first──▶ sending ──outbox empty──▶ signing-out
 *     │                      │  └──every row left refused──▶ asking (with the reasons)
 *     │                      └──Cancel / Escape──▶ closed (still signed in; they keep sending)
 *     ├──Sign out anyway / Delete them──▶ signing-out
 *     └──Cancel / Escape──▶ closed
 *
 * A modal <dialog>: the page behind is inert (focus stays inside) and Escape
 * is its cancel event.
 */
type Stage =
  | { name: "asking"; error: string | null }
  /** `before`: the outbox as read when Send first was pressed; its "failed" rows are the ones being retried. */
  | { name: "sending"; total: number; before: OutboxRow[] }
  | { name: "signing-out" };

export function SignOutDialog({ drafts, onClose }: { drafts: DraftRow[]; onClose(): void }) {
  const { t } = useTranslation();
  const { db, client, user, signOut } = useSession();
  const [stage, setStage] = useState<Stage>({ name: "asking", error: null });
  const dialog = useRef<HTMLDialogElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  const id = useId();
  // The browser's own network, or only the link to the server: the person can fix the first, not the second.
  const offline = useConnection((s): Unreachable => (s.browserOffline ? "network" : s.status !== "online" ? "server" : null));

  const rows = useLiveQuery(() => db.outbox.orderBy("createdAt").toArray(), [db]);
  const summaries = useLiveQuery(() => db.conversations.toArray(), [db]);
  const titleOf = (conversationId: string) => {
    const summary = summaries?.find((s) => s.conversationId === conversationId);
    return summary ? chatName(summary, user.id) : t("account.signOut.aConversation");
  };

  // Shown once the outbox has been read (the first render has nothing to show yet); each
  // stage focuses its first button, as the one that had focus may be gone.
  const ready = rows !== undefined;
  useEffect(() => {
    if (!ready) return;
    if (!dialog.current?.open) dialog.current?.showModal();
    first.current?.focus();
  }, [ready, stage.name]);

  const finish = async (unsent: UnsentChoice) => {
    setStage({ name: "signing-out" });
    try {
      await signOut(unsent);
    } catch (error) {
      setStage({ name: "asking", error: describeError(error) });
    }
  };

  // Send first: sign out once the outbox is empty; if all that is left was refused for good, say why and ask again.
  const refused = rows?.filter((row) => row.status === "failed") ?? [];
  useEffect(() => {
    if (stage.name !== "sending" || rows === undefined) return;
    if (rows.length === 0) void finish("keep");
    else if (rows !== stage.before && refused.length === rows.length) setStage({ name: "asking", error: null });
  });

  const sendFirst = async () => {
    if (!rows) return;
    // Rows that failed (too old, refused) are the person's to retry, and "Send first" says just that.
    for (const row of rows) if (row.status === "failed") await client.outbox.retry(row.clientMsgId);
    client.outbox.flush();
    setStage({ name: "sending", total: rows.length, before: rows });
  };

  const cancel = (event?: SyntheticEvent) => {
    event?.preventDefault(); // Escape: we close it ourselves, so the state follows
    if (stage.name !== "signing-out") onClose();
  };

  if (rows === undefined) return null;
  const lines = unsentLines(rows, drafts, titleOf);
  const messages = rows.length;
  const busy = stage.name === "signing-out";

  return (
    <dialog ref={dialog} className="sign-out-dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-what`} onCancel={cancel} data-testid="sign-out-dialog">
      <h2 id={`${id}-title`}>{messages + drafts.length ? unsentHeading(messages, drafts.length) : t("account.signOut.allSent")}</h2>
      <ul id={`${id}-what`} className="unsent-list">
        {lines.map((line) => (
          <li key={line.conversationId}>{describeLine(line)}</li>
        ))}
      </ul>
      {stage.name === "sending" ? (
        <SendingProgress total={Math.max(stage.total, messages)} left={messages} offline={offline} />
      ) : (
        <>
          {refused.length ? <RefusedRows rows={refused} /> : null}
          <p className="muted small-text">{t("account.signOut.keepNote", { name: user.displayName })}</p>
        </>
      )}
      {stage.name === "asking" && stage.error ? (
        <p className="error small-text" role="alert">
          {stage.error}
        </p>
      ) : null}
      <div className="dialog-actions">
        {stage.name === "sending" ? (
          <button ref={first} type="button" className="secondary" onClick={cancel}>
            {t("common.cancel")}
          </button>
        ) : (
          <>
            {messages > 0 ? (
              <button ref={first} type="button" className="primary" onClick={() => void sendFirst()} disabled={busy}>
                {t("account.signOut.sendFirst")}
              </button>
            ) : null}
            <button ref={messages > 0 ? undefined : first} type="button" className="secondary" onClick={() => void finish("keep")} disabled={busy}>
              {t("account.signOut.anyway")}
            </button>
            <button type="button" className="danger" onClick={() => void finish("discard")} disabled={busy}>
              {t("account.signOut.discard")}
            </button>
            <button type="button" className="link" onClick={cancel} disabled={busy}>
              {t("common.cancel")}
            </button>
          </>
        )}
      </div>
    </dialog>
  );
}

type Unreachable = "network" | "server" | null;

function SendingProgress({ total, left, offline }: { total: number; left: number; offline: Unreachable }) {
  const { t } = useTranslation();
  return (
    <div className="sending-first" role="status">
      <progress max={total} value={total - left} aria-label={t("account.signOut.progressLabel")} />
      <p>
        {offline === "network"
          ? t("account.signOut.offline", { count: left })
          : offline === "server"
            ? t("account.signOut.serverDown", { count: left })
            : t("account.signOut.sending", { sent: total - left, total })}
      </p>
    </div>
  );
}

function RefusedRows({ rows }: { rows: OutboxRow[] }) {
  const { t } = useTranslation();
  return (
    <p className="error small-text" role="alert">
      {t("account.signOut.refused", { count: rows.length, reasons: [...new Set(rows.map((row) => row.error))].join(" ") })}
    </p>
  );
}
