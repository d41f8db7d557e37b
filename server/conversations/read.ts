import type { Summary } from "../../shared/protocol/index.js";
import { markRead } from "../receipts/receipts.js";
import type { Repos } from "../storage/storage.js";
import { convEntry, lockedConversation } from "./conversations.js";

/**
 * `POST /api/conversations/:id/read`: the read position moves (receipts),
 * and reading clears the user's own "marked unread", which reaches their
 * other devices as a `conv` entry like any other setting.
 *
 * Only a marked conversation is locked: a plain receipt takes just the
 * member's row (in markRead), so on PostgreSQL it does not queue behind
 * sends in a busy group.
 */
export async function readConversation(r: Repos, userId: string, conversationId: string, seq: number, at: number): Promise<Summary> {
  // Unlocked: unknown, not a member, gone → markRead answers as it always has.
  const before = await r.conversations.member(conversationId, userId);
  if (!before?.markedUnread) return markRead(r, userId, conversationId, seq, at);
  // The conversation before the member's row (the lock order in storage/tx.ts): a settings change
  // (and a recall or a hide of the lastMessage the conv entry carries) waits for this one.
  // Checked again once locked: the mark may have been cleared meanwhile.
  const { conv, me } = await lockedConversation(r, userId, conversationId);
  if (!me.markedUnread) return markRead(r, userId, conv.id, seq, at);
  await r.conversations.updateSettings(conv.id, userId, { markedUnread: false });
  // Built once, after both the receipt and the cleared mark.
  const summary = await markRead(r, userId, conv.id, seq, at);
  await r.log.append([convEntry(userId, summary)], at);
  return summary;
}
