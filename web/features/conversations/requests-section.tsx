import { useId, useState } from "react";
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
export function RequestsSection({ requests }: { requests: Summary[] }) {
  const { user } = useSession();
  const id = useId();
  // null: as the count says (open while few); then as the person last chose.
  const [open, setOpen] = useState<boolean | null>(null);
  if (requests.length === 0) return null;
  const expanded = open ?? requests.length <= REQUESTS_SHOWN_OPEN;
  return (
    <section className="requests" aria-labelledby={`${id}-h`} data-testid="requests">
      <h3 id={`${id}-h`} className="requests-heading">
        <button type="button" className="requests-toggle" aria-expanded={expanded} aria-controls={`${id}-list`} onClick={() => setOpen(!expanded)}>
          <span>
            Requests <span className="muted">({requests.length})</span>
          </span>
          <span className="requests-toggle-hint muted small-text">{expanded ? "Hide" : "Show"}</span>
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
        <p className="requests-collapsed muted small-text">Groups from people you don't know. They can't notify you until you accept.</p>
      )}
    </section>
  );
}

function RequestRow({ summary, title }: { summary: Summary; title: string }) {
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
        <span className="muted small-text">{by ? `${by} added you` : "You were added"}</span>
      </a>
      <span className="request-actions">
        <button type="button" className="secondary small" aria-busy={busy} onClick={() => void act(() => api.acceptRequest(summary.conversationId))}>
          Accept
        </button>
        <button type="button" className="secondary small" aria-busy={busy} onClick={() => void act(() => api.leaveConversation(summary.conversationId))}>
          Decline
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
      trigger="Decline all"
      label="Confirm declining all requests"
      question={`${requests.length === 1 ? "Decline the request? That group" : `Decline all ${requests.length} requests? Those groups`} can't add you again.`}
      act={busy ? `Declining… ${progress.done} of ${progress.of}` : `Decline ${requests.length}`}
      busy={busy}
      error={error}
      onConfirm={declineAll}
    />
  );
}
