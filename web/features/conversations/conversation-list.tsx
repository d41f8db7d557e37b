import { useLiveQuery } from "dexie-react-hooks";
import type { OutboxRow, StoredSummary } from "../../db/records.js";
import { useNow } from "../../lib/hooks.js";
import { MutedIcon, PinIcon } from "../../lib/icons.js";
import { initials } from "../../lib/initials.js";
import { relativeTime } from "../../lib/time.js";
import { useSession } from "../../session.js";
import { selectedConversationId, useUi } from "../../stores/ui.js";
import { activityAt, compareSummaries, conversationTitle, pendingPreview, previewParts, type PreviewParts } from "./summary-text.js";
import { isGone, isRequest } from "../group/membership.js";
import { RequestsSection } from "./requests-section.js";
import { totalUnread, useUnreadTitle } from "./use-unread-title.js";

export function ConversationList() {
  const { db, user } = useSession();
  // Groups I am no longer in stay stored (an open one says why) but leave the list; requests are listed apart.
  const stored = useLiveQuery(async () => (await db.conversations.toArray()).filter((s) => !isGone(s)).sort(compareSummaries), [db]);
  const requests = stored?.filter(isRequest) ?? [];
  const summaries = stored?.filter((s) => !isRequest(s));
  // The newest queued message per conversation: offline, what I typed shows in the preview at once.
  const newestPending = useLiveQuery(async () => {
    const newest = new Map<string, OutboxRow>();
    for (const row of await db.outbox.orderBy("createdAt").toArray()) newest.set(row.conversationId, row);
    return newest;
  }, [db]);
  const selected = useUi((s) => selectedConversationId(s.route));
  const navigate = useUi((s) => s.navigate);
  const now = useNow();
  useUnreadTitle(summaries ? totalUnread(summaries) : undefined);

  if (summaries === undefined) return <p className="muted pad">Loading conversations…</p>;
  if (summaries.length === 0 && requests.length === 0) {
    return (
      <div className="empty" data-testid="conversations-empty">
        <p>No conversations yet — find someone or browse listings.</p>
        {/* Links, not buttons: the header's "Chats"/"Listings" buttons keep unique names. */}
        <div className="row">
          <a className="button-like" href="#/new" onClick={(e) => (e.preventDefault(), navigate({ name: "new-chat" }))}>
            Find someone
          </a>
          <a className="button-like" href="#/listings" onClick={(e) => (e.preventDefault(), navigate({ name: "listings" }))}>
            Browse listings
          </a>
        </div>
      </div>
    );
  }

  const rows = summaries.map((summary) => {
    const pending = newestPending?.get(summary.conversationId);
    const pendingIsNewest = !!pending && pending.createdAt > (summary.lastMessage?.at ?? 0);
    const at = pendingIsNewest ? Math.max(activityAt(summary), pending.createdAt) : activityAt(summary);
    const preview = pendingIsNewest ? pendingPreview(pending) : previewParts(summary.lastMessage, summary, user.id);
    return { summary, at, preview };
  });
  // Pinned first, then newest activity (a message queued here counts).
  rows.sort((a, b) => (a.summary.pinned !== b.summary.pinned ? (a.summary.pinned ? -1 : 1) : b.at - a.at));

  return (
    <>
      <RequestsSection requests={requests} />
      <ConversationRows rows={rows} selected={selected} userId={user.id} now={now} />
    </>
  );
}

function ConversationRows({ rows, selected, userId, now }: { rows: { summary: StoredSummary; at: number; preview: PreviewParts }[]; selected: string | null; userId: string; now: number }) {
  const navigate = useUi((s) => s.navigate);
  return (
    <ul className="conversation-list" role="list">
      {rows.map(({ summary, at, preview }) => {
        const title = conversationTitle(summary, userId);
        const unread = summary.unread;
        const isSelected = summary.conversationId === selected;
        return (
          <li key={summary.conversationId}>
            <a
              href={`#/c/${encodeURIComponent(summary.conversationId)}`}
              className="conversation-item"
              data-testid="conversation-item"
              data-conversation-id={summary.conversationId}
              data-unread={unread}
              data-muted={summary.muted ? "" : undefined}
              aria-current={isSelected ? "true" : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate({ name: "conversation", id: summary.conversationId });
              }}
            >
              <span className={`avatar type-${summary.conversation.type}`} aria-hidden="true">
                {initials(title)}
              </span>
              <span className="conversation-text">
                <span className="conversation-top">
                  <span className="conversation-title">
                    {summary.pinned ? (
                      <span className="pin" role="img" aria-label="Pinned" title="Pinned">
                        <PinIcon />
                      </span>
                    ) : null}
                    {title}
                  </span>
                  <time className="conversation-time" dateTime={new Date(at).toISOString()}>
                    {relativeTime(at, now)}
                  </time>
                </span>
                <span className="conversation-bottom">
                  <Preview parts={preview} />
                  {summary.muted ? (
                    <span className="muted-mark" role="img" aria-label="Muted" title="Muted">
                      <MutedIcon />
                    </span>
                  ) : null}
                  {unread > 0 ? (
                    <span className={`badge${summary.muted ? " muted" : ""}`} data-testid="unread-badge" aria-label={`${unread} unread`}>
                      {unread > 99 ? "99+" : unread}
                    </span>
                  ) : null}
                </span>
                {summary.conversation.type === "item" && summary.item && title !== summary.item.title ? (
                  <span className="conversation-item-title">{summary.item.title}</span>
                ) : null}
              </span>
            </a>
          </li>
        );
      })}
    </ul>
  );
}

/** "Name: text · Sending" on one line: a long name is cut short first, the status never. */
function Preview({ parts }: { parts: PreviewParts }) {
  return (
    <span className="conversation-preview">
      {parts.who ? (
        <>
          <span className="preview-who">{parts.who}</span>
          <span className="preview-sep">: </span>
        </>
      ) : null}
      <span className="preview-text">{parts.text}</span>
      {parts.status ? <span className={`preview-status${parts.status === "Not sent" ? " is-failed" : ""}`}> · {parts.status}</span> : null}
    </span>
  );
}
