import { CourierError, isGoneMembership, type Message, parseInput, recallRequestSchema } from "../../shared/protocol/index.js";
import type { Context } from "../context.js";
import type { ConversationRecord, MemberRecord, Repos } from "../storage/storage.js";

/**
 * What happens to a message after it was sent (docs/messages.md): its sender
 * recalls it for everyone, or a member deletes it for themselves. Content
 * gone means gone from rows: the message row and every entry that carried a
 * copy of it are rewritten in the same transaction, so no read path (history,
 * pulls, snapshots, summaries, search, push) ever needs to hide it.
 */

/** What is left of a message once its content is gone: its place and its sender, never its text (nor any content added later). */
function husk(m: Message): Message {
  const { id, conversationId, seq, senderId, clientMsgId, kind, at, replyTo } = m;
  return { id, conversationId, seq, senderId, clientMsgId, kind, body: "", at, ...(replyTo ? { replyTo } : {}) };
}

/** A recalled message, as every member sees it from now on. */
export const recalledMessage = (m: Message): Message => ({ ...husk(m), recalled: true });

/** The copy of a message its hider's own entries keep: a client that holds it removes it. */
export const hiddenMessage = (m: Message): Message => ({ ...husk(m), hidden: true, ...(m.recalled ? { recalled: true } : {}) });

const noSuchMessage = () => CourierError.notFound("No such message.", "message_not_found");

/** The user's place in the message's conversation, for a current member (or one asked to join); anyone else: 404, as if it did not exist. */
async function ofMember(r: Repos, userId: string, message: Message): Promise<MemberRecord> {
  const me = await r.conversations.member(message.conversationId, userId);
  if (!me || isGoneMembership(me.state)) throw noSuchMessage();
  return me;
}

/**
 * Locks the conversation of the message, then reads the message; no such
 * message: 404. The read before the lock only finds the conversation (which
 * never changes): on PostgreSQL a recall that waited here for another one
 * must see the message as that one left it (recalled), so its content is
 * read again once locked (SQLite runs one write at a time, but the rule is
 * the same for both).
 */
async function lockConversationOf(r: Repos, messageId: string): Promise<{ conv: ConversationRecord; message: Message }> {
  const found = await r.messages.get(messageId);
  const conv = found && (await r.conversations.lock(found.conversationId));
  const message = conv && (await r.messages.get(messageId));
  if (!conv || !message) throw noSuchMessage();
  return { conv, message };
}

/**
 * Recall, checked in the contract's order: not a member (or no such
 * message) 404, not the sender 403 (system lines have no sender to recall
 * them), then a repeat answers the tombstone again and appends nothing, then
 * past the window 409. The conversation is locked before anything is read, so
 * a recall takes turns with sends (a reply quoting it sees it recalled) and
 * with another recall of it (one of them appends).
 */
export async function recallMessage(r: Repos, userId: string, messageId: string, at: number, windowMs: number): Promise<Message> {
  const { conv, message } = await lockConversationOf(r, messageId);
  const me = await ofMember(r, userId, message);
  if (message.kind === "system" || message.senderId !== userId) throw CourierError.forbidden("Only the sender can recall a message.", "recall_not_sender");
  // An offer's message stands for the offer (issue 14): taking it back is withdrawing it, which its card offers.
  if (message.kind === "offer") throw CourierError.conflict("An offer can't be recalled; withdraw it instead.", "recall_offer");
  if (me.state === "request") throw CourierError.forbidden("Accept the group request first.", "group_request_pending");
  if (message.recalled) return message;
  if (at > message.at + windowMs) {
    throw CourierError.conflict(`A message can be recalled within ${Math.round(windowMs / 1000)} seconds of sending it; this one is older.`, "recall_expired");
  }
  const tombstone = recalledMessage(message);
  await r.messages.recall(message.id, at);
  // Its photos go too: no longer shown to the members (their uploader still sees them).
  if (message.media) await r.media.detach(message.id);
  const { conversationId, seq } = message;
  const data = { conversationId, messageId: message.id, seq, by: userId, at };
  // Whoever deleted it for themselves has nothing to replace: no recall entry, and their copies stay hidden.
  const hiders = await r.messages.hiders(message);
  const told = (await r.conversations.members(conv.id)).filter((m) => !hiders.includes(m.userId));
  // Heads first (their lock order), then the copies: whoever trims a member's ring holds that member's head.
  await r.log.append(told.map((m) => ({ userId: m.userId, d: "chat" as const, k: "recall", data })), at);
  await r.log.rewriteMessage({ conversationId, seq }, tombstone, null);
  for (const hiderId of hiders) await r.log.rewriteMessage({ conversationId, seq }, hiddenMessage(message), hiderId);
  return tombstone;
}

/**
 * Delete for me: only the hider's history, snapshot, summary and entries
 * lose it; a repeat appends nothing. The conversation is locked first, as
 * for a recall: a summary being built meanwhile (a settings change) is
 * appended before the hide rewrites it, or built after it.
 */
export async function hideMessage(r: Repos, userId: string, messageId: string, at: number): Promise<void> {
  const { message } = await lockConversationOf(r, messageId);
  await ofMember(r, userId, message);
  if (!(await r.messages.hide(userId, message, at))) return;
  const { conversationId, seq } = message;
  await r.log.append([{ userId, d: "chat", k: "hide", data: { conversationId, messageId: message.id } }], at);
  await r.log.rewriteMessage({ conversationId, seq }, hiddenMessage(message), userId);
}

/** Recall over any transport: validated, charged as a send (it reaches every member), stored. */
export async function recall(ctx: Context, userId: string, payload: unknown): Promise<Message> {
  const { messageId } = parseInput(recallRequestSchema, payload, "recall");
  await ctx.limits.sendPerUser.enforce(userId, "messages");
  return ctx.storage.write((tx) => recallMessage(tx, userId, messageId, ctx.clock(), ctx.config.recallWindowMs));
}

/** Delete for me over HTTP. */
export async function hide(ctx: Context, userId: string, messageId: string): Promise<void> {
  await ctx.storage.write((tx) => hideMessage(tx, userId, messageId, ctx.clock()));
}
