import { randomUUID } from "node:crypto";
import { CourierError, type Order } from "../../shared/protocol/index.js";
import { announceConversation, itemConversation } from "../conversations/conversations.js";
import { postMessage } from "../messages/messages.js";
import type { ConversationRecord, Repos } from "../storage/storage.js";

/**
 * The order flow of an item conversation: bought (buyer) → shipped (seller)
 * → received (buyer). Every step lands, in one transaction, as an `order`
 * entry in both parties' system domain and as a system message in their chat.
 */

async function name(r: Repos, userId: string): Promise<string> {
  return (await r.users.get(userId))?.displayName ?? "Someone";
}

async function announce(r: Repos, conv: ConversationRecord, order: Order, actorId: string, body: string, at: number): Promise<void> {
  // The message first: it locks the conversation before any head (the lock order in storage/tx.ts), as a send does.
  // clientMsgId is derived from the step, so a step can only ever post once.
  await postMessage(r, conv, { senderId: actorId, clientMsgId: `order:${order.id}:${order.status}`, kind: "system", body }, at);
  await r.log.append(
    [order.buyerId, order.sellerId].map((userId) => ({ userId, d: "system" as const, k: "order", data: { order } })),
    at,
  );
}

export async function createOrder(r: Repos, buyerId: string, itemId: string, at: number): Promise<Order> {
  // Locked: two buyers at once take turns, and the second finds it sold.
  const item = await r.items.lock(itemId);
  if (!item) throw CourierError.notFound("No such item.");
  if (item.sellerId === buyerId) throw CourierError.badRequest("You can't buy your own listing.");
  if (item.status !== "listed") throw CourierError.conflict("This item is already sold.");
  // Every conversation about it, in id order, before any head (the lock order in storage/tx.ts): each is
  // announced sold below, and a recall or hide in one of them meanwhile must not leave its text in that entry.
  const others: ConversationRecord[] = [];
  for (const { id } of (await r.conversations.ofItem(itemId)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    others.push((await r.conversations.lock(id))!);
  }
  const { conv } = await itemConversation(r, buyerId, item, at);
  const order: Order = { id: randomUUID(), itemId, conversationId: conv.id, buyerId, sellerId: item.sellerId, status: "bought", at };
  await r.orders.insert(order);
  await r.items.setStatus(itemId, "sold");
  await announce(r, conv, order, buyerId, `${await name(r, buyerId)} bought “${item.title}”`, at);
  await announceSoldElsewhere(r, others, conv.id, at);
  return order;
}

/**
 * Everyone else who asked about the listing sees it sold at once (their
 * conversation's summary carries the item): a `conv` entry to each member of
 * the other conversations about it (locked by the caller), so no one is left
 * with a stale "Buy".
 */
async function announceSoldElsewhere(r: Repos, others: readonly ConversationRecord[], soldIn: string, at: number): Promise<void> {
  for (const other of others) {
    if (other.id !== soldIn) await announceConversation(r, other, at);
  }
}

/** A party to the order may see it; anyone else gets 403, an unknown id 404. */
export async function partyOrder(r: Repos, userId: string, orderId: string, lock = false): Promise<Order> {
  const order = lock ? await r.orders.lock(orderId) : await r.orders.get(orderId);
  if (!order) throw CourierError.notFound("No such order.");
  if (order.buyerId !== userId && order.sellerId !== userId) throw CourierError.forbidden("You are not part of this order.");
  return order;
}

export async function advanceOrder(r: Repos, userId: string, orderId: string, status: "shipped" | "received", at: number): Promise<Order> {
  // Locked: the same step asked twice at once happens once; the second is refused as out of order.
  const order = await partyOrder(r, userId, orderId, true);
  const step =
    status === "shipped"
      ? { actor: order.sellerId, from: "bought", who: "seller", body: `${await name(r, userId)} marked the order as shipped` }
      : { actor: order.buyerId, from: "shipped", who: "buyer", body: `${await name(r, userId)} confirmed receipt` };
  if (userId !== step.actor) throw CourierError.forbidden(`Only the ${step.who} can mark the order as ${status}.`);
  if (order.status !== step.from) throw CourierError.conflict(`The order is ${order.status}; it can't become ${status} now.`);
  await r.orders.setStatus(order.id, status, at);
  const updated: Order = { ...order, status, at };
  const conv = (await r.conversations.get(order.conversationId))!;
  await announce(r, conv, updated, userId, step.body, at);
  return updated;
}
