import { randomUUID } from "node:crypto";
import {
  CourierError,
  type CreateConversation,
  type Item,
  type Message,
  type SendRequest,
  type SettingsPatch,
  type Summary,
} from "../../../shared/protocol/index.js";
import type { AppendBatch } from "./append-batch.js";
import type { ConversationRow } from "./rows.js";
import type { Stores } from "./stores.js";
import { buildSummary, memberConversation, summaryFor } from "./summaries.js";

/**
 * Chat operations. Each runs inside one transaction opened by the caller and
 * records its entries in `batch`; write diffusion happens here: a message is
 * stored once and referenced by an entry in every member's chat domain.
 */

/** A new conversation appears on every member's devices as a `conv` entry. */
function createConversation(
  st: Stores,
  batch: AppendBatch,
  c: Omit<Parameters<Stores["conversations"]["create"]>[0], "id">,
  memberIds: string[],
): ConversationRow {
  const conv = st.conversations.create({ ...c, id: randomUUID() }, memberIds);
  for (const userId of memberIds) {
    st.sync.append(batch, userId, "chat", "conv", { summary: buildSummary(st, userId, conv) }, c.at);
  }
  return conv;
}

/** The buyer's conversation about an item, created on first use. */
export function itemConversation(st: Stores, batch: AppendBatch, buyerId: string, item: Item, at: number) {
  if (item.sellerId === buyerId) throw CourierError.badRequest("You can't open a chat about your own listing.");
  const uniqueKey = `item:${item.id}:${buyerId}`;
  const existing = st.conversations.byKey(uniqueKey);
  if (existing) return { conv: existing, created: false };
  const conv = createConversation(st, batch, { type: "item", itemId: item.id, title: null, uniqueKey, at }, [buyerId, item.sellerId]);
  return { conv, created: true };
}

export function openConversation(st: Stores, batch: AppendBatch, userId: string, input: CreateConversation, at: number) {
  switch (input.type) {
    case "direct": {
      if (input.peerId === userId) throw CourierError.badRequest("You can't open a direct chat with yourself.");
      if (!st.users.get(input.peerId)) throw CourierError.notFound("No such user.");
      const uniqueKey = `direct:${[userId, input.peerId].sort().join(":")}`;
      const existing = st.conversations.byKey(uniqueKey);
      if (existing) return { conv: existing, created: false };
      const conv = createConversation(st, batch, { type: "direct", itemId: null, title: null, uniqueKey, at }, [userId, input.peerId]);
      return { conv, created: true };
    }
    case "item": {
      const item = st.items.get(input.itemId);
      if (!item) throw CourierError.notFound("No such item.");
      return itemConversation(st, batch, userId, item, at);
    }
    case "group": {
      const memberIds = [userId, ...new Set(input.memberIds.filter((id) => id !== userId))];
      if (memberIds.length < 2) throw CourierError.badRequest("A group needs at least one other member.");
      for (const id of memberIds) if (!st.users.get(id)) throw CourierError.notFound(`No such user: ${id}.`);
      const conv = createConversation(st, batch, { type: "group", itemId: null, title: input.title, uniqueKey: null, at }, memberIds);
      return { conv, created: true };
    }
  }
}

/**
 * Appends a message with the conversation's next seq and diffuses it to every
 * member's chat domain, the sender's included (their other devices sync too).
 * The sender has read what they wrote.
 */
export function postMessage(
  st: Stores,
  batch: AppendBatch,
  conv: ConversationRow,
  m: Pick<Message, "senderId" | "clientMsgId" | "kind" | "body">,
  at: number,
): Message {
  const seq = st.conversations.nextSeq(conv.id);
  const message: Message = { id: randomUUID(), conversationId: conv.id, seq, ...m, at };
  st.messages.insert(message);
  for (const userId of st.conversations.memberIds(conv.id)) {
    st.sync.append(batch, userId, "chat", "msg", { message }, at, { conversationId: conv.id, seq });
  }
  st.conversations.advanceRead(conv.id, m.senderId, seq);
  return message;
}

/** Idempotent on (sender, clientMsgId): a repeat returns the first message and appends nothing. */
export function sendMessage(st: Stores, batch: AppendBatch, senderId: string, input: SendRequest, at: number) {
  const existing = st.messages.byClientId(senderId, input.clientMsgId);
  if (existing) return { message: existing, created: false };
  const conv = memberConversation(st, senderId, input.conversationId);
  const message = postMessage(st, batch, conv, { senderId, clientMsgId: input.clientMsgId, kind: input.kind, body: input.body }, at);
  return { message, created: true };
}

/** Read position moves forward only, up to the last message; every member learns of it. */
export function markRead(st: Stores, batch: AppendBatch, userId: string, conversationId: string, seq: number, at: number): Summary {
  const conv = memberConversation(st, userId, conversationId);
  const target = Math.min(seq, conv.last_seq);
  const me = st.conversations.member(conv.id, userId)!;
  if (target > me.read_seq) {
    st.conversations.advanceRead(conv.id, userId, target);
    for (const memberId of st.conversations.memberIds(conv.id)) {
      st.sync.append(batch, memberId, "chat", "read", { conversationId: conv.id, userId, seq: target }, at);
    }
  }
  return buildSummary(st, userId, conv);
}

/** Settings are private: only my own devices get the new summary. */
export function updateSettings(st: Stores, batch: AppendBatch, userId: string, conversationId: string, patch: SettingsPatch, at: number) {
  const conv = memberConversation(st, userId, conversationId);
  st.conversations.updateSettings(conv.id, userId, patch);
  const summary = summaryFor(st, userId, conv.id);
  st.sync.append(batch, userId, "chat", "conv", { summary }, at);
  return summary;
}

/**
 * A device acked chat up to `upTo`: the messages it now holds count as
 * delivered to its user. Where that moves the user's delivered position in a
 * conversation, the senders of the newly delivered messages (not every
 * member: in a group that would be quadratic) get a `delivered` entry, so
 * they see the tick. In a two-person chat that is the peer.
 */
export function deliveredOnAck(st: Stores, batch: AppendBatch, userId: string, after: number, upTo: number, at: number): void {
  for (const ref of st.sync.messageSeqsBetween(userId, after, upTo)) {
    const me = st.conversations.member(ref.conversationId, userId);
    if (!me || ref.seq <= me.delivered_seq) continue;
    st.conversations.advanceDelivered(ref.conversationId, userId, ref.seq);
    for (const senderId of st.messages.sendersBetween(ref.conversationId, me.delivered_seq, ref.seq, userId)) {
      st.sync.append(batch, senderId, "chat", "delivered", { conversationId: ref.conversationId, userId, seq: ref.seq }, at);
    }
  }
}
