import type { StoredSummary as Summary } from "../../db/records.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";
import { ActionError, useAction } from "../group/action.js";
import { conversationTitle, memberName } from "./summary-text.js";

/**
 * Groups people I don't know added me to (docs/groups.md): listed apart from
 * my chats, never counted as unread, each with Accept and Decline. Opening
 * one shows what was said, to decide.
 */
export function RequestsSection({ requests }: { requests: Summary[] }) {
  const { user } = useSession();
  if (requests.length === 0) return null;
  return (
    <section className="requests" aria-labelledby="requests-heading" data-testid="requests">
      <h3 id="requests-heading" className="requests-heading">
        Requests <span className="muted">({requests.length})</span>
      </h3>
      <ul className="conversation-list" role="list">
        {requests.map((summary) => (
          <RequestRow key={summary.conversationId} summary={summary} title={conversationTitle(summary, user.id)} />
        ))}
      </ul>
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
        <strong>{title}</strong>
        <span className="muted small-text">{by ? `${by} added you` : "You were added"}</span>
      </a>
      <span className="request-actions">
        <button type="button" className="primary small" aria-busy={busy} onClick={() => void act(() => api.acceptRequest(summary.conversationId))}>
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
