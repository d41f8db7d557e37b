import { CourierError, type Summary, type User } from "../../../shared/protocol/index.js";
import { toConversation, type ConversationRow } from "./rows.js";
import type { Stores } from "./stores.js";

/**
 * One user's view of a conversation. Built from current rows every time, so
 * a `conv` entry always carries the whole truth and clients can replace
 * their copy instead of merging.
 */
export function buildSummary(st: Stores, userId: string, conv: ConversationRow): Summary {
  const members = st.conversations.members(conv.id);
  const me = members.find((m) => m.user_id === userId);
  if (!me) throw CourierError.forbidden("You are not a member of this conversation.");
  const users = members.map((m) => st.users.get(m.user_id)).filter((u): u is User => u !== null);
  return {
    conversationId: conv.id,
    conversation: toConversation(
      conv,
      members.map((m) => m.user_id),
    ),
    lastMessage: conv.last_seq > 0 ? st.messages.bySeq(conv.id, conv.last_seq) : null,
    unread: st.messages.unread(conv.id, me.read_seq, userId),
    readSeq: me.read_seq,
    muted: me.muted === 1,
    pinned: me.pinned === 1,
    remark: me.remark,
    label: me.label,
    members: users,
    item: conv.item_id ? st.items.get(conv.item_id) : null,
    order: conv.type === "item" ? st.orders.ofConversation(conv.id) : null,
    receipts: members.map((m) => ({ userId: m.user_id, deliveredSeq: m.delivered_seq, readSeq: m.read_seq })),
  };
}

/** Looks a conversation up for a user: unknown → 404, not a member → 403. */
export function memberConversation(st: Stores, userId: string, conversationId: string): ConversationRow {
  const conv = st.conversations.get(conversationId);
  if (!conv) throw CourierError.notFound("No such conversation.");
  if (!st.conversations.member(conversationId, userId)) {
    throw CourierError.forbidden("You are not a member of this conversation.");
  }
  return conv;
}

export function summaryFor(st: Stores, userId: string, conversationId: string): Summary {
  return buildSummary(st, userId, memberConversation(st, userId, conversationId));
}

/** Pinned first, then the most recently active. */
export function listSummaries(st: Stores, userId: string): Summary[] {
  const activity = (s: Summary) => s.lastMessage?.at ?? s.conversation.at;
  return st.conversations
    .ofUser(userId)
    .map((c) => buildSummary(st, userId, c))
    .sort((a, b) => Number(b.pinned) - Number(a.pinned) || activity(b) - activity(a) || a.conversationId.localeCompare(b.conversationId));
}
