import { useLiveQuery } from "dexie-react-hooks";
import { useNow } from "../../lib/hooks.js";
import { PinIcon } from "../../lib/icons.js";
import { relativeTime } from "../../lib/time.js";
import { useSession } from "../../session.js";
import { selectedConversationId, useUi } from "../../stores/ui.js";
import { activityAt, compareSummaries, conversationTitle, messagePreview } from "./summary-text.js";

export function ConversationList() {
  const { db, user } = useSession();
  const summaries = useLiveQuery(async () => (await db.conversations.toArray()).sort(compareSummaries), [db]);
  const selected = useUi((s) => selectedConversationId(s.route));
  const navigate = useUi((s) => s.navigate);
  const now = useNow();

  if (summaries === undefined) return <p className="muted pad">Loading conversations…</p>;
  if (summaries.length === 0) {
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

  return (
    <ul className="conversation-list" role="list">
      {summaries.map((summary) => {
        const title = conversationTitle(summary, user.id);
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
                  <time className="conversation-time" dateTime={new Date(activityAt(summary)).toISOString()}>
                    {relativeTime(activityAt(summary), now)}
                  </time>
                </span>
                <span className="conversation-bottom">
                  <span className="conversation-preview">{messagePreview(summary.lastMessage, summary, user.id)}</span>
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

function initials(title: string): string {
  const words = title.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]![0], words[1]![0]] : [...(words[0] ?? "?")].slice(0, 2);
  return letters.join("").toUpperCase();
}
