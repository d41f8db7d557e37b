import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { StoredMessage } from "../../db/records.js";
import { t } from "../../i18n/index.js";
import { useLanding } from "../../db/landing.js";
import { useSession } from "../../session.js";
import { selectedConversationId, useUi } from "../../stores/ui.js";
import { useBlockedIds } from "../safety/blocks.js";
import { chatName, memberName, previewParts } from "../conversations/summary-text.js";

/** How many announcements the region keeps (older ones have been read; a screen reader reads additions only). */
const KEPT = 5;
/** Elsewhere, a message older than this when it lands (a catch-up after a long sleep) is not announced. */
export const FRESH_MS = 60_000;
/**
 * How many message ids the announcer remembers having seen: a write that fails
 * lands its messages again moments later, and they must not be told twice. The
 * oldest are forgotten first, so a long session does not grow it for ever.
 */
export const TOLD_MAX = 2_000;

/**
 * What a screen reader hears when a message arrives (issue 17): a visually
 * hidden, polite live region (`role="log"`) apart from the message list, so
 * opening a conversation, its history pages and every re-render are never
 * read again. Only messages arriving by sync are told (useLanding: not those
 * read from IndexedDB, not history pages, not a snapshot), never my own nor
 * from someone I block. In the open conversation: "Bob: text"; in another:
 * "New message in Bob's chat" (its text stays private to the list).
 */
export function MessageAnnouncer() {
  const { db, user } = useSession();
  const blocked = useBlockedIds(db);
  const [said, setSaid] = useState<Array<{ key: string; text: string }>>([]);
  const told = useRef(new Set<string>());
  const state = useRef({ blocked, open: selectedConversationId(useUi.getState().route) });
  state.current.blocked = blocked;

  useEffect(() => {
    let alive = true;
    const say = (items: Array<{ key: string; text: string }>) => alive && items.length > 0 && setSaid((list) => [...list, ...items].slice(-KEPT));
    const unsubscribeUi = useUi.subscribe((s) => (state.current.open = selectedConversationId(s.route)));
    const unsubscribe = useLanding.subscribe((now, before) => {
      const fresh: StoredMessage[] = [];
      for (const [id, list] of Object.entries(now.byConversation)) {
        if (list === before.byConversation[id]) continue;
        for (const m of list) {
          if (told.current.has(m.id)) continue;
          told.current.add(m.id);
          // A Set iterates in insertion order: the first is the oldest.
          if (told.current.size > TOLD_MAX) told.current.delete(told.current.values().next().value as string);
          if (m.senderId !== user.id && !m.recalled && !state.current.blocked.has(m.senderId)) fresh.push(m);
        }
      }
      if (fresh.length === 0) return;
      // Their summaries in one read (a catch-up page lands 500 messages: one read each queued 500 transactions ahead of its write).
      const ids = [...new Set(fresh.map((m) => m.conversationId))];
      void db.conversations.bulkGet(ids).then((rows) => {
        const summaries = new Map(ids.map((id, i) => [id, rows[i]]));
        // Only the last KEPT stay in the region: worded newest first, the older ones not at all.
        const items: Array<{ key: string; text: string }> = [];
        for (let i = fresh.length - 1; i >= 0 && items.length < KEPT; i--) {
          const m = fresh[i]!;
          const summary = summaries.get(m.conversationId);
          if (!summary) continue;
          if (m.conversationId === state.current.open) {
            const parts = previewParts(m, summary, user.id);
            items.unshift({ key: m.id, text: m.kind === "system" ? parts.text : t("conversation.announce.inOpen", { name: memberName(summary, m.senderId), text: parts.text }) });
          } else if (m.kind !== "system" && !summary.muted && Date.now() - m.at < FRESH_MS) {
            items.unshift({ key: m.id, text: t("conversation.announce.elsewhere", { title: chatName(summary, user.id) }) });
          }
        }
        say(items);
      });
    });
    return () => {
      alive = false;
      unsubscribe();
      unsubscribeUi();
    };
  }, [db, user.id]);

  return <AnnouncerRegion said={said} />;
}

function AnnouncerRegion({ said }: { said: Array<{ key: string; text: string }> }) {
  const { t } = useTranslation();
  return (
    <div className="visually-hidden" role="log" aria-live="polite" aria-relevant="additions" aria-label={t("conversation.announce.label")} data-testid="message-announcer">
      {said.map((s) => (
        <p key={s.key}>{s.text}</p>
      ))}
    </div>
  );
}
