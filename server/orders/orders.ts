import { randomUUID } from "node:crypto";
import { BLOCKED_MESSAGE, CourierError, type Item, type Offer, type Order } from "../../shared/protocol/index.js";
import { itemConversation } from "../conversations/conversations.js";
import { amount, announceItem, lockItemConversations, unavailable } from "../items/items.js";
import { postMessage } from "../messages/messages.js";
import type { ConversationRecord, NewEntry, Repos } from "../storage/storage.js";

/**
 * The order flow of an item conversation: bought (buyer, at the listed price
 * or an accepted offer's) → shipped (seller) → received (buyer); before it
 * ships either party may cancel (the seller saying why), and the listing is
 * listed again. Every step lands, in one transaction, as an `order` entry in
 * both parties' system domain and as a system message in their chat.
 */

export async function nameOf(r: Repos, userId: string): Promise<string> {
  return (await r.users.get(userId))?.displayName ?? "Someone";
}

/** An `offer` entry for each party: how every change of an offer reaches their devices. */
export function offerEntries(offer: Offer): NewEntry[] {
  return [offer.buyerId, offer.sellerId].map((userId) => ({ userId, d: "system" as const, k: "offer", data: { offer } }));
}

async function announce(r: Repos, conv: ConversationRecord, order: Order, actorId: string, body: string, at: number, also: NewEntry[] = []): Promise<void> {
  // The message first: it locks the conversation before any head (the lock order in storage/tx.ts), as a send does.
  // clientMsgId is derived from the step, so a step can only ever post once.
  await postMessage(r, conv, { senderId: actorId, clientMsgId: `order:${order.id}:${order.status}`, kind: "system", body }, at);
  await r.log.append([...[order.buyerId, order.sellerId].map((userId) => ({ userId, d: "system" as const, k: "order", data: { order } })), ...also], at);
}

/** What becomes an order: the buyer, the price agreed, and the offer accepted (if any). */
export interface Deal {
  buyerId: string;
  priceCents: number;
  offer?: Offer;
}

/**
 * The sale itself, shared by Buy and by accepting an offer. The caller holds
 * the item's lock and checked it may sell. In the lock order (storage/tx.ts):
 * the item's open offers (the accepted one becomes `accepted`, every other
 * `expired`), then every conversation about the item, then heads. Everyone
 * else who asked about it sees it sold at once (their summary carries the
 * item), so no one is left with a stale "Buy".
 */
export async function placeOrder(r: Repos, item: Item, deal: Deal, line: { actorId: string; body: string }, at: number): Promise<Order> {
  // Blocked either way: no sale between the two (Buy, or accepting an offer made before the block).
  if (await r.safety.eitherWay(deal.buyerId, item.sellerId)) throw CourierError.forbidden(BLOCKED_MESSAGE, "blocked");
  const id = randomUUID();
  const closed: Offer[] = [];
  for (const open of await r.offers.lockOpenOnItem(item.id)) {
    const accepted = open.id === deal.offer?.id;
    await r.offers.close(open.id, accepted ? "accepted" : "expired", at, accepted ? id : undefined);
    closed.push({ ...open, status: accepted ? "accepted" : "expired", at, ...(accepted ? { orderId: id } : {}) });
  }
  const others = await lockItemConversations(r, item.id);
  const { conv } = await itemConversation(r, deal.buyerId, item, at);
  const order: Order = {
    id,
    itemId: item.id,
    conversationId: conv.id,
    buyerId: deal.buyerId,
    sellerId: item.sellerId,
    status: "bought",
    at,
    priceCents: deal.priceCents,
    ...(deal.offer ? { offerId: deal.offer.id } : {}),
  };
  await r.orders.insert(order);
  await r.items.setStatus(item.id, "sold");
  await announce(r, conv, order, line.actorId, line.body, at, closed.flatMap(offerEntries));
  await announceItem(r, others, conv.id, at);
  return order;
}

/**
 * `POST /api/orders`: Buy at the listed price. `confirmedPriceCents` is the
 * price the buyer saw and confirmed: a listing whose price changed meanwhile
 * is refused (409), so nobody pays a price they did not see.
 */
export async function createOrder(r: Repos, buyerId: string, itemId: string, at: number, confirmedPriceCents?: number): Promise<Order> {
  // Locked: two buyers at once take turns, and the second finds it sold.
  const item = await r.items.lock(itemId);
  if (!item) throw CourierError.notFound("No such item.", "item_not_found");
  if (item.sellerId === buyerId) throw CourierError.badRequest("You can't buy your own listing.", "own_listing_buy");
  const why = unavailable(item, true);
  if (why) throw why;
  if (confirmedPriceCents !== undefined && confirmedPriceCents !== item.priceCents) {
    throw CourierError.conflict(`The price changed to ${amount(item.priceCents)}; check it and buy again.`, "price_changed");
  }
  const body = `${await nameOf(r, buyerId)} bought “${item.title}”`;
  return placeOrder(r, item, { buyerId, priceCents: item.priceCents }, { actorId: buyerId, body }, at);
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
      ? { actor: order.sellerId, from: "bought", who: "seller", body: `${await nameOf(r, userId)} marked the order as shipped` }
      : { actor: order.buyerId, from: "shipped", who: "buyer", body: `${await nameOf(r, userId)} confirmed receipt` };
  if (userId !== step.actor) throw CourierError.forbidden(`Only the ${step.who} can mark the order as ${status}.`);
  if (order.status !== step.from) throw CourierError.conflict(`The order is ${order.status}; it can't become ${status} now.`);
  await r.orders.setStatus(order.id, status, at);
  const updated: Order = { ...order, status, at };
  const conv = (await r.conversations.get(order.conversationId))!;
  await announce(r, conv, updated, userId, step.body, at);
  return updated;
}

/**
 * `PATCH /api/orders/:id {status: "cancelled", reason}`: either party, while
 * it has not shipped; the seller must say why (the buyer sees it), the buyer
 * may. The listing is listed again, and every conversation about it hears so.
 */
export async function cancelOrder(r: Repos, userId: string, orderId: string, reason: string | undefined, at: number): Promise<Order> {
  const seen = await partyOrder(r, userId, orderId);
  // The item first, then the order (the lock order in storage/tx.ts, as buying takes them).
  const item = (await r.items.lock(seen.itemId))!;
  const order = await partyOrder(r, userId, orderId, true);
  if (order.status !== "bought") throw CourierError.conflict(`The order is ${order.status}; only an order not yet shipped can be cancelled.`);
  const seller = userId === order.sellerId;
  if (seller && !reason) throw CourierError.badRequest("Say why you cancel: the buyer sees it in the chat.", "cancel_reason_required");
  await r.orders.cancel(order.id, userId, reason ?? null, at);
  await r.items.setStatus(item.id, "listed");
  const updated: Order = { ...order, status: "cancelled", at, cancelledBy: userId, ...(reason ? { reason } : {}) };
  const others = await lockItemConversations(r, item.id);
  const conv = others.find((c) => c.id === order.conversationId)!;
  const body = `${await nameOf(r, userId)} cancelled the order${reason ? `: “${reason}”` : ""}`;
  await announce(r, conv, updated, userId, body, at);
  // The order's own conversation as it is now (the cancel line just moved it), not as locked before.
  const fresh = (await r.conversations.get(conv.id))!;
  await announceItem(r, others.map((c) => (c.id === conv.id ? fresh : c)), null, at);
  return updated;
}
