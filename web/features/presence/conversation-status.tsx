import { useLiveQuery } from "dexie-react-hooks";
import { useCallback, useEffect, useState } from "react";
import type { PresenceView } from "../../../shared/protocol/index.js";
import type { StoredSummary } from "../../db/records.js";
import { useNow, usePageVisible } from "../../lib/hooks.js";
import { useSession } from "../../session.js";
import { memberName, otherMembers } from "../conversations/summary-text.js";
import { sharesWith } from "../group/membership.js";
import { presenceText } from "./last-seen.js";
import { fetchPresence } from "./presence-api.js";
import { typingAt, TypingSignal, typingText, useTyping } from "./typing-store.js";

/** How often an open direct or item chat asks for the other person's presence again. */
export const PRESENCE_REFRESH_MS = 45_000;

/**
 * The header's live line under the title: who is typing, else (direct and
 * item chats) "Online" or when the other person was last seen. Nothing when
 * their presence is hidden or unknown.
 */
export function ConversationStatus({ summary, me }: { summary: StoredSummary; me: string }) {
  const group = summary.conversation.type === "group";
  const typingIds = useTypingIn(summary.conversation.id, me);
  const peer = group ? null : (otherMembers(summary, me)[0]?.id ?? null);
  // Asked once the server would answer: a chat I just opened is mine alone until its first message.
  const shared = useSharesAChat(summary, peer);
  const presence = usePresence(shared ? peer : null, typingIds.length);
  const now = useNow(30_000);
  const typing = typingText(
    typingIds.map((id) => memberName(summary, id)),
    group,
  );
  if (typing) {
    return (
      <p className="presence-line is-typing small-text" data-testid="typing-indicator" role="status">
        {typing}
      </p>
    );
  }
  const line = presenceText(presence, now);
  return line ? (
    <p className={`presence-line small-text${presence?.online ? " is-online" : ""}`} data-testid="presence-line">
      {line}
    </p>
  ) : null;
}

/** Who (other than me) is typing in the conversation, re-rendered when the first of them times out. */
function useTypingIn(conversationId: string, me: string): string[] {
  const byUser = useTyping((s) => s.until[conversationId]);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => setNow(Date.now()), [byUser]);
  const { userIds, nextChange } = typingAt(byUser, now);
  useEffect(() => {
    if (nextChange === null) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.max(0, nextChange - Date.now()));
    return () => clearTimeout(timer);
  }, [nextChange]);
  return userIds.filter((id) => id !== me);
}

/**
 * Whether the server tells me `peer`'s presence (else 404): some
 * conversation of mine shares it (`sharesWith`). So a new chat with someone
 * from a group shows theirs at once, one with a stranger from its first
 * message on. The open chat answers for itself once it has a message; only
 * before that are the others read (and then watched: no query, nothing to
 * re-run on every write).
 */
function useSharesAChat(open: StoredSummary, peer: string | null): boolean {
  const { db } = useSession();
  const here = peer !== null && sharesWith(open, peer);
  const elsewhere = useLiveQuery(
    async () => !here && peer !== null && (await db.conversations.filter((s) => sharesWith(s, peer)).first()) !== undefined,
    [db, peer, here],
  );
  return here || elsewhere === true;
}

/**
 * The peer's presence, asked when the chat opens, every PRESENCE_REFRESH_MS
 * while the page is visible, and again when someone stops typing (they may
 * have just left).
 */
function usePresence(userId: string | null, typing: number): PresenceView | null {
  const { api } = useSession();
  const visible = usePageVisible();
  const [state, setState] = useState<{ userId: string; view: PresenceView } | null>(null);
  useEffect(() => {
    if (!userId || !visible) return;
    let live = true;
    const load = () =>
      fetchPresence(api, userId).then(
        (view) => live && setState({ userId, view }),
        // Not shown rather than wrong: a failed refresh leaves the line as it was.
        () => undefined,
      );
    void load();
    const timer = setInterval(() => void load(), PRESENCE_REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, userId, visible, typing]);
  return state?.userId === userId ? state.view : null;
}

/**
 * For the composer: call with the text on every change; signals "typing" in
 * the conversation at most every TYPING_SIGNAL_MS (typing-store.ts).
 */
export function useTypingSignal(conversationId: string): (text: string) => void {
  const { client } = useSession();
  const [signal] = useState(() => new TypingSignal((id) => client.typing(id)));
  return useCallback((text: string) => signal.changed(conversationId, text), [signal, conversationId]);
}
