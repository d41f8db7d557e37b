import { randomUUID } from "node:crypto";
import { CourierError, type Order } from "../../../shared/protocol/index.js";
import type { AppendBatch } from "./append-batch.js";
import { itemConversation, postMessage } from "./chat-ops.js";
import type { ConversationRow } from "./rows.js";
import type { Stores } from "./stores.js";
import { buildSummary } from "./summaries.js";

/**
 * The order flow of an item conversation: bought (buyer) → shipped (seller)
 * → received (buyer). Every step lands, in one transaction, as an `order`
 * entry in both parties' system domain and as a system message in their chat.
 */

function name(st: Stores, userId: string): string {
  return st.users.get(userId)?.displayName ?? "Someone";
}

function announce(st: Stores, batch: AppendBatch, conv: ConversationRow, order: Order, actorId: string, body: string, at: number): void {
  for (const userId of [order.buyerId, order.sellerId]) st.sync.append(batch, userId, "system", "order", { order }, at);
  // clientMsgId is derived from the step, so a step can only ever post once.
  postMessage(st, batch, conv, { senderId: actorId, clientMsgId: `order:${order.id}:${order.status}`, kind: "system", body }, at);
}

export function createOrder(st: Stores, batch: AppendBatch, buyerId: string, itemId: string, at: number): Order {
  const item = st.items.get(itemId);
  if (!item) throw CourierError.notFound("No such item.");
  if (item.sellerId === buyerId) throw CourierError.badRequest("You can't buy your own listing.");
  if (item.status !== "listed") throw CourierError.conflict("This item is already sold.");
  const { conv } = itemConversation(st, batch, buyerId, item, at);
  const order: Order = {
    id: randomUUID(),
    itemId,
    conversationId: conv.id,
    buyerId,
    sellerId: item.sellerId,
    status: "bought",
    at,
  };
  st.orders.insert(order);
  st.items.setStatus(itemId, "sold");
  announce(st, batch, conv, order, buyerId, `${name(st, buyerId)} bought “${item.title}”`, at);
  announceSoldElsewhere(st, batch, itemId, conv.id, at);
  return order;
}

/**
 * Everyone else who asked about the listing sees it sold at once (their
 * conversation's summary carries the item): a `conv` entry to each member of
 * the other conversations about it, so no one is left with a stale "Buy".
 */
function announceSoldElsewhere(st: Stores, batch: AppendBatch, itemId: string, soldIn: string, at: number): void {
  for (const other of st.conversations.ofItem(itemId)) {
    if (other.id === soldIn) continue;
    for (const userId of st.conversations.memberIds(other.id)) {
      st.sync.append(batch, userId, "chat", "conv", { summary: buildSummary(st, userId, other) }, at);
    }
  }
}

/** A party to the order may see it; anyone else gets 403, an unknown id 404. */
export function partyOrder(st: Stores, userId: string, orderId: string): Order {
  const order = st.orders.get(orderId);
  if (!order) throw CourierError.notFound("No such order.");
  if (order.buyerId !== userId && order.sellerId !== userId) throw CourierError.forbidden("You are not part of this order.");
  return order;
}

export function advanceOrder(st: Stores, batch: AppendBatch, userId: string, orderId: string, status: "shipped" | "received", at: number): Order {
  const order = partyOrder(st, userId, orderId);
  const step =
    status === "shipped"
      ? { actor: order.sellerId, from: "bought", who: "seller", body: `${name(st, userId)} marked the order as shipped` }
      : { actor: order.buyerId, from: "shipped", who: "buyer", body: `${name(st, userId)} confirmed receipt` };
  if (userId !== step.actor) throw CourierError.forbidden(`Only the ${step.who} can mark the order as ${status}.`);
  if (order.status !== step.from) throw CourierError.conflict(`The order is ${order.status}; it can't become ${status} now.`);
  const updated = st.orders.setStatus(order.id, status, at);
  const conv = st.conversations.get(order.conversationId)!;
  announce(st, batch, conv, updated, userId, step.body, at);
  return updated;
}
