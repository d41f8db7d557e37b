import type { Summary } from "../../shared/protocol/index.js";
import { buildSummary, readableConversation } from "../conversations/conversations.js";
import type { NewEntry, Repos } from "../storage/storage.js";

/**
 * Receipts: read positions (set by the reader) and delivered positions
 * (moved by a device's ack), each announced to whoever shows the tick.
 */

/**
 * Read position moves forward only, up to the last message; every member
 * learns of it. Someone looking at a group request has read nothing as far
 * as the group can tell (docs/groups.md): it stays where it is.
 */
export async function markRead(r: Repos, userId: string, conversationId: string, seq: number, at: number): Promise<Summary> {
  const { conv } = await readableConversation(r, userId, conversationId);
  const target = Math.min(seq, conv.lastSeq);
  // Locked: two tabs marking read at once take turns, so each position is announced once, in order.
  const me = (await r.conversations.lockMember(conv.id, userId))!;
  if (me.state === "member" && target > me.readSeq) {
    await r.conversations.advanceRead(conv.id, userId, target);
    const members = await r.conversations.members(conv.id);
    const data = { conversationId: conv.id, userId, seq: target };
    await r.log.append(
      members.map((m) => ({ userId: m.userId, d: "chat" as const, k: "read", data })),
      at,
    );
  }
  return buildSummary(r, userId, conv);
}

/**
 * A device acked chat up to `upTo`: the messages it now holds count as
 * delivered to its user. Where that moves the user's delivered position in a
 * conversation, the senders of the newly delivered messages (not every
 * member: in a group that would be quadratic) get a `delivered` entry, so
 * they see the tick. In a two-person chat that is the peer.
 */
export async function deliveredOnAck(r: Repos, userId: string, after: number, upTo: number, at: number): Promise<void> {
  // Members' rows in one order (by conversation), locked: two devices of the user acking at once take
  // turns, so a receipt is announced once; then every receipt in one append (heads in one order too).
  const refs = (await r.log.messageSeqsBetween(userId, after, upTo)).sort((a, b) => (a.conversationId < b.conversationId ? -1 : 1));
  const entries: NewEntry[] = [];
  for (const ref of refs) {
    const me = await r.conversations.lockMember(ref.conversationId, userId);
    // Only members show ticks: a pending request or someone gone tells the group nothing.
    if (!me || me.state !== "member" || ref.seq <= me.deliveredSeq) continue;
    await r.conversations.advanceDelivered(ref.conversationId, userId, ref.seq);
    const senders = await r.messages.sendersBetween(ref.conversationId, me.deliveredSeq, ref.seq, userId);
    const data = { conversationId: ref.conversationId, userId, seq: ref.seq };
    entries.push(...senders.map((senderId) => ({ userId: senderId, d: "chat" as const, k: "delivered", data })));
  }
  await r.log.append(entries, at);
}
