import type { Conversation, ConversationType, Item, Message, Order, OrderStatus, User } from "../../../shared/protocol/index.js";

/** Row shapes as SQLite returns them, and their mapping to protocol objects. */

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
}

export interface ItemRow {
  id: string;
  seller_id: string;
  title: string;
  price_cents: number;
  description: string;
  status: string;
  at: number;
}

export interface ConversationRow {
  id: string;
  type: string;
  item_id: string | null;
  title: string | null;
  unique_key: string | null;
  last_seq: number;
  at: number;
}

export interface MemberRow {
  conversation_id: string;
  user_id: string;
  read_seq: number;
  delivered_seq: number;
  muted: number;
  pinned: number;
  remark: string;
  label: string;
}

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_msg_id: string;
  kind: string;
  body: string;
  at: number;
  recalled: number;
}

export interface OrderRow {
  id: string;
  item_id: string;
  conversation_id: string;
  buyer_id: string;
  seller_id: string;
  status: string;
  at: number;
}

export const toUser = (r: UserRow): User => ({ id: r.id, username: r.username, displayName: r.display_name });

export const toItem = (r: ItemRow): Item => ({
  id: r.id,
  sellerId: r.seller_id,
  title: r.title,
  priceCents: r.price_cents,
  description: r.description,
  status: r.status === "sold" ? "sold" : "listed",
  at: r.at,
});

export function toConversation(r: ConversationRow, memberIds: string[]): Conversation {
  const c: Conversation = { id: r.id, type: r.type as ConversationType, memberIds, lastSeq: r.last_seq, at: r.at };
  if (r.item_id !== null) c.itemId = r.item_id;
  if (r.title !== null) c.title = r.title;
  return c;
}

export function toMessage(r: MessageRow): Message {
  const m: Message = {
    id: r.id,
    conversationId: r.conversation_id,
    seq: r.seq,
    senderId: r.sender_id,
    clientMsgId: r.client_msg_id,
    kind: r.kind === "system" ? "system" : "text",
    body: r.body,
    at: r.at,
  };
  if (r.recalled) m.recalled = true;
  return m;
}

export const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  itemId: r.item_id,
  conversationId: r.conversation_id,
  buyerId: r.buyer_id,
  sellerId: r.seller_id,
  status: r.status as OrderStatus,
  at: r.at,
});
