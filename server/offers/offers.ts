import { randomUUID } from "node:crypto";
import { CourierError, type Item, type Offer, OFFERS_LIST_MAX, type Order, type RespondOffer } from "../../shared/protocol/index.js";
import { itemConversation, readableConversation } from "../conversations/conversations.js";
import { amount, unavailable } from "../items/items.js";
import { postMessage } from "../messages/messages.js";
import { assertMaySend } from "../safety/blocks.js";
import { nameOf, offerEntries, placeOrder } from "../orders/orders.js";
import type { ConversationRecord, Repos } from "../storage/storage.js";

/**
 * Offers in an item chat (docs/marketplace.md "Offers and orders"). The buyer
 * offers a price; the seller accepts (an order at that price), declines or
 * counters (the offer closes as `countered` and the seller's opens, which the
 * buyer answers the same way); whoever made an open offer may withdraw it.
 * One open offer per buyer and item. Every rule locks the item first (as
 * buying does), so everything done to one item's offers takes turns; every
 * change reaches both parties as `offer` entries in the same write, and a new
 * offer or counter is also a chat message of kind "offer".
 */

/** The chat message announcing a new offer or counter; its clientMsgId comes from the offer, so it posts once. */
async function post(r: Repos, conv: ConversationRecord, offer: Offer, at: number): Promise<void> {
  const verb = offer.counterOf ? "countered with" : "offered";
  await postMessage(
    r,
    conv,
    {
      senderId: offer.by,
      clientMsgId: `offer:${offer.id}`,
      kind: "offer",
      body: `${await nameOf(r, offer.by)} ${verb} ${amount(offer.priceCents)}`,
      offer: { id: offer.id, priceCents: offer.priceCents, by: offer.by },
    },
    at,
  );
}

type NewOffer = Pick<Offer, "buyerId" | "by" | "priceCents"> & { counters?: Offer };

/**
 * A new open offer on `item` in `conv` (the caller checked it may), stored,
 * posted and announced; a counter's entries carry the offer it closed too.
 */
async function open(r: Repos, conv: ConversationRecord, item: Item, { counters, ...o }: NewOffer, at: number): Promise<Offer> {
  // Safety (issue 14): an offer or counter is a message; between a blocker and the one they block, refused (403).
  await assertMaySend(r, conv, o.by);
  const offer: Offer = { id: randomUUID(), itemId: item.id, conversationId: conv.id, sellerId: item.sellerId, status: "open", at, ...o };
  if (counters) offer.counterOf = counters.id;
  await r.offers.insert(offer);
  await post(r, conv, offer, at);
  await r.log.append([...(counters ? offerEntries(counters) : []), ...offerEntries(offer)], at);
  return offer;
}

/** `POST /api/offers`: the buyer offers a price, in the item chat (created if needed). */
export async function createOffer(r: Repos, buyerId: string, itemId: string, priceCents: number, at: number): Promise<Offer> {
  const item = await r.items.lock(itemId);
  if (!item) throw CourierError.notFound("No such item.", "item_not_found");
  if (item.sellerId === buyerId) throw CourierError.forbidden("You can't make an offer on your own listing.", "own_listing_offer");
  const why = unavailable(item, false);
  if (why) throw why;
  const held = await r.offers.openOf(itemId, buyerId);
  if (held) {
    throw CourierError.conflict(
      held.by === buyerId
        ? "You already have an offer open on this item; withdraw it or wait for the seller's answer."
        : "The seller's counter-offer is open; accept, decline or counter it.",
      held.by === buyerId ? "offer_already_open" : "counter_offer_open",
    );
  }
  const { conv } = await itemConversation(r, buyerId, item, at);
  return open(r, conv, item, { buyerId, by: buyerId, priceCents }, at);
}

/** The offer, for one of its two parties: unknown → 404, anyone else → 403. */
async function partyOffer(r: Repos, userId: string, offerId: string, lock = false): Promise<Offer> {
  const offer = lock ? await r.offers.lock(offerId) : await r.offers.get(offerId);
  if (!offer) throw CourierError.notFound("No such offer.");
  if (offer.buyerId !== userId && offer.sellerId !== userId) throw CourierError.forbidden("You are not part of this offer.");
  return offer;
}

export interface Responded {
  /** The offer answered, as it is now (closed). */
  offer: Offer;
  /** Accepted: the order it became. */
  order?: Order;
  /** Countered: the new open offer. */
  counter?: Offer;
}

const ANSWERED: Record<RespondOffer["action"], Exclude<Offer["status"], "open">> = {
  accept: "accepted",
  decline: "declined",
  counter: "countered",
  withdraw: "withdrawn",
};

/**
 * `POST /api/offers/:id/respond`: the other party accepts, declines or
 * counters; the maker withdraws. A closed offer → 409; the wrong person →
 * 403 saying who may; accepting or countering on a listing sold or taken
 * down → 409.
 */
export async function respondOffer(r: Repos, userId: string, offerId: string, input: RespondOffer, at: number): Promise<Responded> {
  const seen = await partyOffer(r, userId, offerId);
  // The item first, then the offer (the lock order in storage/tx.ts): an accept and anything else on this item take turns.
  const item = (await r.items.lock(seen.itemId))!;
  const offer = await partyOffer(r, userId, offerId, true);
  if (offer.status !== "open") throw CourierError.conflict(`This offer was already ${offer.status}.`, "offer_closed");
  const mine = offer.by === userId;
  if (input.action === "withdraw" && !mine) throw CourierError.forbidden("Only the one who made this offer can withdraw it; you can decline it.");
  if (input.action !== "withdraw" && mine) throw CourierError.forbidden(`You can't ${input.action} your own offer; you can withdraw it.`);
  if (input.action === "accept" || input.action === "counter") {
    const why = unavailable(item, false);
    if (why) throw why;
  }

  if (input.action === "accept") {
    const sale = `“${item.title}” for ${amount(offer.priceCents)}`;
    const body =
      userId === offer.buyerId
        ? `${await nameOf(r, userId)} accepted the counter-offer and bought ${sale}`
        : `${await nameOf(r, userId)} accepted the offer: ${await nameOf(r, offer.buyerId)} bought ${sale}`;
    const order = await placeOrder(r, item, { buyerId: offer.buyerId, priceCents: offer.priceCents, offer }, { actorId: userId, body }, at);
    return { offer: { ...offer, status: "accepted", at, orderId: order.id }, order };
  }
  const status = ANSWERED[input.action];
  await r.offers.close(offer.id, status, at);
  const closed: Offer = { ...offer, status, at };
  if (input.action === "counter") {
    const conv = (await r.conversations.get(offer.conversationId))!;
    const counter = await open(r, conv, item, { buyerId: offer.buyerId, by: userId, priceCents: input.priceCents, counters: closed }, at);
    return { offer: closed, counter };
  }
  await r.log.append(offerEntries(closed), at);
  return { offer: closed };
}

/**
 * `GET /api/offers`: a device that synced holds every offer's changes as
 * entries; this answers the state of older ones (history it never synced).
 * By conversation: its members. By item: the seller sees every offer on it,
 * anyone else their own.
 */
export async function listOffers(r: Repos, userId: string, where: { conversationId?: string; itemId?: string }): Promise<Offer[]> {
  if (where.conversationId !== undefined) {
    await readableConversation(r, userId, where.conversationId);
    return r.offers.list({ conversationId: where.conversationId }, OFFERS_LIST_MAX);
  }
  const item = await r.items.get(where.itemId!);
  if (!item) throw CourierError.notFound("No such item.", "item_not_found");
  return r.offers.list(item.sellerId === userId ? { itemId: item.id } : { itemId: item.id, buyerId: userId }, OFFERS_LIST_MAX);
}
