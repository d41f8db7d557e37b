import type { Summary } from "../../shared/protocol/index.js";
import { markRead } from "../receipts/receipts.js";
import type { Repos } from "../storage/storage.js";
import { updateSettings } from "./conversations.js";

/**
 * `POST /api/conversations/:id/read`: the read position moves (receipts),
 * and reading clears the user's own "marked unread", which reaches their
 * other devices as a `conv` entry like any other setting.
 */
export async function readConversation(r: Repos, userId: string, conversationId: string, seq: number, at: number): Promise<Summary> {
  // The conversation before the member's row (the lock order in storage/tx.ts): clearing markedUnread locks it.
  await r.conversations.lock(conversationId);
  const summary = await markRead(r, userId, conversationId, seq, at);
  return summary.markedUnread ? updateSettings(r, userId, conversationId, { markedUnread: false }, at) : summary;
}
