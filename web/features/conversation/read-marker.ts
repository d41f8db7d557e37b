import { countUnread, withReceipt } from "../../db/consumers.js";
import { lastSeqOf } from "../../db/records.js";
import type { Session } from "../../session.js";

/** Highest seq already posted per conversation, so a burst posts once. */
const posted = new Map<string, number>();

/**
 * Marks a conversation read up to `seq`: locally at once (the badge clears
 * without waiting for the round trip), then on the server, whose `read`
 * entry reaches this user's other devices. Here it moves my receipt as that
 * entry will, so the entry, when it comes back, finds nothing to change and
 * is not written again (one write less, and one drawing less of the list and
 * the conversation, for each message read as it arrives: docs/benchmarks.md,
 * RENDERS).
 */
export async function markRead({ db, api, user }: Session, conversationId: string, seq: number): Promise<void> {
  const key = `${user.id}:${conversationId}`;
  if ((posted.get(key) ?? 0) >= seq) return;
  posted.set(key, seq);
  await db.transaction("rw", db.conversations, db.messages, async () => {
    const summary = await db.conversations.get(conversationId);
    if (!summary || summary.readSeq >= seq) return;
    const lastSeq = lastSeqOf(summary);
    const unread = await countUnread(db, user.id, conversationId, seq, lastSeq);
    await db.conversations.put(withReceipt({ ...summary, readSeq: seq, unread }, user.id, { readSeq: seq, deliveredSeq: seq }));
  });
  try {
    await api.markRead(conversationId, seq);
  } catch (error) {
    // Try again on the next chance (new message, page visible again).
    if ((posted.get(key) ?? 0) === seq) posted.delete(key);
    console.warn("courier: mark read failed", error);
  }
}
