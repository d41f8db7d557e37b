import { memo, useId, useState } from "react";
import { Trans, useTranslation } from "react-i18next";
import type { StoredSummary as Summary } from "../../db/records.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";
import { ActionError, ConfirmedAction, useAction } from "../group/action.js";
import { declineEach } from "./decline-all.js";
import { conversationTitle, memberName } from "./summary-text.js";

/** Up to this many requests are listed open; more (a flood) fold into one "Requests (n)" row. */
export const REQUESTS_SHOWN_OPEN = 3;

/**
 * Groups people I don't know added me to (docs/groups.md): listed apart from
 * my chats, never counted as unread, each with Accept and Decline (alike: a
 * stranger's group is not to be accepted by reflex). A few are listed open;
 * many fold into one row that opens the list, with "Decline all". Opening
 * one shows what was said, to decide.
 */
export const RequestsSection = memo(function RequestsSection({ requests }: { requests: Summary[] }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const id = useId();
  // null: as the count says (open while few); then as the person last chose.
  const [open, setOpen] = useState<boolean | null>(null);
  if (requests.length === 0) return null;
  const expanded = open ?? requests.length <= REQUESTS_SHOWN_OPEN;
  return (
    // Opened or closed by hand: a start shows it as the count says, so this screen is not saved as a first paint (web/boot).
    <section className="requests" aria-labelledby={`${id}-h`} data-testid="requests" data-first-paint-unsure={open === null ? undefined : ""}>
      <h3 id={`${id}-h`} className="requests-heading">
        <button type="button" className="requests-toggle" aria-expanded={expanded} aria-controls={`${id}-list`} onClick={() => setOpen(!expanded)}>
          <span>
            <Trans i18nKey="chats.requests.heading" values={{ count: requests.length }} components={{ muted: <span className="muted" /> }} />
          </span>
          <span className="requests-toggle-hint muted small-text">{expanded ? t("chats.requests.hide") : t("chats.requests.show")}</span>
        </button>
      </h3>
      {expanded ? (
        <div id={`${id}-list`}>
          <DeclineAll requests={requests} />
          <ul className="conversation-list requests-list" role="list">
            {requests.map((summary) => (
              <RequestRow key={summary.conversationId} summary={summary} title={conversationTitle(summary, user.id)} />
            ))}
          </ul>
        </div>
      ) : (
        <p className="requests-collapsed muted small-text">{t("chats.requests.collapsed")}</p>
      )}
    </section>
  );
}, noneEitherTime);

/** No requests before or after: nothing to draw again (the list draws again for every message). */
function noneEitherTime(a: { requests: Summary[] }, b: { requests: Summary[] }): boolean {
  return a.requests === b.requests || (a.requests.length === 0 && b.requests.length === 0);
}

function RequestRow({ summary, title }: { summary: Summary; title: string }) {
  const { t } = useTranslation();
  const { api } = useSession();
  const navigate = useUi((s) => s.navigate);
  const { busy, error, run: act } = useAction();
  const by = summary.addedBy ? memberName(summary, summary.addedBy) : null;
  return (
    <li className="request-row" data-testid="request" data-conversation-id={summary.conversationId}>
      <a
        href={`#/c/${encodeURIComponent(summary.conversationId)}`}
        className="request-text"
        onClick={(e) => {
          e.preventDefault();
          navigate({ name: "conversation", id: summary.conversationId });
        }}
      >
        <strong className="request-title">{title}</strong>
        <span className="muted small-text">{by ? t("chats.requests.addedBy", { name: by }) : t("chats.requests.youWereAdded")}</span>
      </a>
      <span className="request-actions">
        <button type="button" className="secondary small" aria-busy={busy} onClick={() => void act(() => api.acceptRequest(summary.conversationId))}>
          {t("chats.requests.accept")}
        </button>
        <button type="button" className="secondary small" aria-busy={busy} onClick={() => void act(() => api.leaveConversation(summary.conversationId))}>
          {t("chats.requests.decline")}
        </button>
      </span>
      <ActionError error={error} />
    </li>
  );
}

/**
 * Every request listed, declined after one confirmation (a group declined
 * can't add me again). Offered for two or more; it stays while it runs,
 * as the list shrinks under it.
 */
function DeclineAll({ requests }: { requests: Summary[] }) {
  const { t } = useTranslation();
  const { api } = useSession();
  const [progress, setProgress] = useState({ done: 0, of: 0 });
  const { busy, error, run } = useAction();
  if (requests.length < 2 && !busy && !error) return null;
  const declineAll = () => {
    // Those on screen when confirmed: a request arriving meanwhile is not declined unseen.
    const ids = requests.map((s) => s.conversationId);
    setProgress({ done: 0, of: ids.length });
    return run(() => declineEach(ids, (id) => api.leaveConversation(id), (done) => setProgress({ done, of: ids.length })));
  };
  return (
    <ConfirmedAction
      className="requests-bulk"
      trigger={t("chats.requests.declineAll")}
      label={t("chats.requests.confirmDeclineAll")}
      question={t("chats.requests.question", { count: requests.length })}
      act={busy ? t("chats.requests.declining", { done: progress.done, total: progress.of }) : t("chats.requests.declineCount", { count: requests.length })}
      busy={busy}
      error={error}
      onConfirm={declineAll}
    />
  );
}
