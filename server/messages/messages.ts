import { CourierError, type Message, roundLocation, type SendRequest } from "../../shared/protocol/index.js";
import { memberConversation, revealConversation } from "../conversations/conversations.js";
import { ownUploads } from "../media/media.js";
import { assertMaySend } from "../safety/blocks.js";
import type { ConversationRecord, Repos } from "../storage/storage.js";
import { uuid7 } from "./uuid7.js";

/**
 * Appends a message with the conversation's next seq and diffuses it (write
 * diffusion): stored once, referenced by a `msg` entry in every member's chat
 * domain, the sender's included (their other devices sync too). The sender
 * has read what they wrote.
 */
export async function postMessage(
  r: Repos,
  conv: ConversationRecord,
  m: Pick<Message, "senderId" | "clientMsgId" | "kind" | "body" | "replyTo" | "location" | "offer" | "media">,
  at: number,
): Promise<Message> {
  // Locks the conversation until commit: concurrent sends to it take turns, so seqs are unique and in commit order.
  const seq = await r.conversations.nextSeq(conv.id);
  // Time-ordered: one commit's messages share their id index's last page (uuid7.ts).
  const message: Message = { id: uuid7(at), conversationId: conv.id, seq, ...m, at };
  await r.messages.insert(message);
  // Photos: the rows that let the members see them, and the message's own copy (server/media/).
  if (m.media) await r.media.attach(message, m.media);
  // Before the heads (the lock order in storage/tx.ts): a receipt of the sender's, running now, holds this row first.
  await r.conversations.posted(conv.id, m.senderId, seq);
  // The first message shows a direct or item chat to the peer who has not seen it yet (server/conversations).
  await revealConversation(r, conv, seq, at);
  const members = await r.conversations.members(conv.id);
  const ref = { conversationId: conv.id, seq };
  // One data object for every member: the engines serialise it once (storage/append-batch.ts).
  const data = { message };
  await r.log.append(
    members.map((member) => ({ userId: member.userId, d: "chat" as const, k: "msg", data, ref })),
    at,
  );
  return message;
}

/**
 * Idempotent on (sender, clientMsgId): a repeat returns the first message and
 * appends nothing. Two repeats racing on two connections are settled by the
 * engine's unique constraint: the loser runs again and finds the winner's.
 * The same clientMsgId aimed at another conversation is not a repeat but a
 * client bug (or a replayed id): 409, and nothing changes.
 */
export async function sendMessage(r: Repos, senderId: string, input: SendRequest, at: number): Promise<{ message: Message; created: boolean }> {
  const existing = await r.messages.byClientId(senderId, input.clientMsgId);
  if (existing && existing.conversationId !== input.conversationId) {
    throw CourierError.conflict("This clientMsgId was already used for a message in another conversation; give each message a new one.");
  }
  if (existing) return { message: existing, created: false };
  // Locks the conversation before checking membership (postMessage would lock it only after).
  const conv = await memberConversation(r, senderId, input.conversationId);
  // Safety (issue 14): a direct or item chat with someone either of the two blocks refuses sends (403).
  await assertMaySend(r, conv, senderId);
  const replyTo = input.replyTo === undefined ? undefined : await quoted(r, conv, input.replyTo);
  // A photo message shows the sender's own uploads only (400 naming the first that is not).
  const media = input.mediaIds ? await ownUploads(r, senderId, input.mediaIds) : undefined;
  const message = await postMessage(
    r,
    conv,
    {
      senderId,
      clientMsgId: input.clientMsgId,
      kind: input.kind,
      body: input.body,
      ...(replyTo ? { replyTo } : {}),
      ...(media ? { media } : {}),
      // A place is stored rounded to about 100 m (the app rounds too; a client that did not is not trusted to).
      ...(input.location ? { location: roundLocation(input.location) } : {}),
    },
    at,
  );
  return { message, created: true };
}

/**
 * The place of the message a reply quotes (never its text): one of this
 * conversation, not recalled. Read under the conversation's lock, which a
 * recall takes too: a quote and a recall of its message take turns.
 */
async function quoted(r: Repos, conv: ConversationRecord, messageId: string): Promise<NonNullable<Message["replyTo"]>> {
  const m = await r.messages.get(messageId);
  if (!m || m.conversationId !== conv.id) throw CourierError.badRequest("You can only quote a message of this conversation.");
  if (m.recalled) throw CourierError.conflict("That message was recalled; it can't be quoted.", "quote_recalled");
  return { id: m.id, seq: m.seq };
}
