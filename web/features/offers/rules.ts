import { type Item, type ItemState, itemState, type Offer, type Order } from "../../../shared/protocol/index.js";
import { t } from "../../i18n/index.js";
import { checkPrice, formatPrice, type PriceCheck } from "../../lib/money.js";

/**
 * What each party may do in an item chat, decided from the state held on
 * this device (docs/marketplace.md "Offers and orders"). The server decides
 * again; these only choose which buttons to show.
 */

export type OfferAction = "accept" | "decline" | "counter" | "withdraw";

/**
 * An open offer: whoever made it may withdraw it; the other party may
 * accept, decline or counter it (not on a listing that sold or was taken
 * down: the server would refuse). A closed offer: nothing.
 */
export function offerActions(offer: Offer, me: string, itemStatus?: ItemState): OfferAction[] {
  if (offer.status !== "open") return [];
  if (offer.by === me) return ["withdraw"];
  if (me !== offer.buyerId && me !== offer.sellerId) return [];
  if (itemStatus === "sold" || itemStatus === "withdrawn") return ["decline"];
  return ["accept", "decline", "counter"];
}

/** The short state shown on an offer card. */
export function offerStateText(status: Offer["status"]): string {
  return t(`offers.state.${status}`);
}

/** "You offered $40.00" / "Bob countered with $45.00". */
export function offerHeadline(ref: { by: string; priceCents: number }, me: string, name: string, counter: boolean): string {
  const price = formatPrice(ref.priceCents);
  if (ref.by === me) return counter ? t("offers.headline.youCountered", { price }) : t("offers.headline.youOffered", { price });
  return counter ? t("offers.headline.theyCountered", { name, price }) : t("offers.headline.theyOffered", { name, price });
}

/** What the open offer waits for, said to the person looking at it. */
export function offerWaitingText(offer: Offer, me: string, otherName: string): string | null {
  if (offer.status !== "open") return null;
  return offer.by === me ? t("offers.waiting.forOther", { name: otherName }) : t("offers.waiting.forYou");
}

/**
 * An offer as held over a copy from an entry or an answer: offers only move
 * forward (open → closed), so an open copy never reopens a closed one.
 */
export function mergeOffer(held: Offer | undefined, incoming: Offer): Offer {
  if (!held) return incoming;
  if (held.status !== "open" && incoming.status === "open") return held;
  return { ...incoming, orderId: incoming.orderId ?? held.orderId };
}

/** The open offer this buyer has on this conversation's item, if any (one at most). */
export function openOfferOf(offers: readonly Offer[], buyerId: string): Offer | undefined {
  return offers.find((o) => o.status === "open" && o.buyerId === buyerId);
}

/** A price typed for an offer or a counter: a price the sell form would take, and more than nothing. */
export function checkOfferPrice(text: string, locale?: string): PriceCheck {
  const checked = checkPrice(text, locale);
  if (checked.ok && checked.cents === 0) return { ok: false, message: t("offers.moreThanNothing") };
  return checked;
}

export function isCancelled(order: Pick<Order, "status">): boolean {
  return order.status === "cancelled";
}

/** An order still going: a new Buy or offer waits until it ends (cancelled). */
export function isActiveOrder(order: Order | null | undefined): order is Order {
  return !!order && !isCancelled(order);
}

/**
 * Cancel: either party, before it ships. The seller must say why (the buyer
 * sees it in the chat); the buyer may.
 */
export function cancelRule(order: Order, me: string): { may: boolean; reasonRequired: boolean } {
  const party = me === order.buyerId || me === order.sellerId;
  return { may: party && order.status === "bought", reasonRequired: me === order.sellerId };
}

/** The order's state as its party reads it. */
export function orderStatusText(order: Order, me: string, names: { buyer: string; seller: string }): string {
  const seller = me === order.sellerId;
  switch (order.status) {
    case "bought": {
      if (order.priceCents === undefined) return seller ? t("offers.order.sold") : t("offers.order.bought");
      const price = formatPrice(order.priceCents);
      return seller ? t("offers.order.soldFor", { price }) : t("offers.order.boughtFor", { price });
    }
    case "shipped":
      return seller ? t("offers.order.shippedSeller") : t("offers.order.shippedBuyer");
    case "received":
      return t("offers.order.received");
    case "cancelled": {
      const reason = order.reason;
      if (order.cancelledBy === me) return reason ? t("offers.order.cancelledByYouReason", { reason }) : t("offers.order.cancelledByYou");
      const name = order.cancelledBy === order.sellerId ? names.seller : order.cancelledBy === order.buyerId ? names.buyer : null;
      if (name) return reason ? t("offers.order.cancelledByReason", { name, reason }) : t("offers.order.cancelledBy", { name });
      return reason ? t("offers.order.cancelledReason", { reason }) : t("offers.order.cancelled");
    }
  }
}

const ITEM_STATES: readonly ItemState[] = ["listed", "reserved", "sold", "withdrawn"];

/** A listing's state in words: `itemState(item)`, so "reserved" and "withdrawn" (the `availability` extension) read as such. */
export function itemStatusText(status: ItemState): string {
  return ITEM_STATES.includes(status) ? t(`offers.itemStatus.${status}`) : status;
}

export type ListingAction = "edit" | "reserve" | "unreserve" | "withdraw" | "relist";

/**
 * The seller's own listing: edit it, hold it for someone (reserve) and put
 * it back, take it down (withdraw) and list it again. A sold listing, or one
 * with an order going, stays as it is.
 */
export function listingActions(item: Item, me: string, order?: Order | null): ListingAction[] {
  const state = itemState(item);
  if (item.sellerId !== me || state === "sold" || isActiveOrder(order)) return [];
  switch (state) {
    case "listed":
      return ["edit", "reserve", "withdraw"];
    case "reserved":
      return ["edit", "unreserve", "withdraw"];
    case "withdrawn":
      return ["edit", "relist"];
  }
  return [];
}
