import { describe, expect, it } from "vitest";
import { itemWire, OFFER_STATUSES, type Item, type Offer, type Order } from "../../../shared/protocol/index.js";
import { i18n } from "../../i18n/index.js";
import { compareListings } from "../listings/seller.js";
import {
  cancelRule,
  checkOfferPrice,
  isActiveOrder,
  itemStatusText,
  listingActions,
  mergeOffer,
  offerActions,
  offerHeadline,
  offerStateText,
  offerWaitingText,
  openOfferOf,
  orderStatusText,
} from "./rules.js";

const BUYER = "u-buyer";
const SELLER = "u-seller";
const STRANGER = "u-eve";

const offer = (over: Partial<Offer> = {}): Offer => ({
  id: "o1",
  itemId: "i1",
  conversationId: "c1",
  buyerId: BUYER,
  sellerId: SELLER,
  by: BUYER,
  priceCents: 4000,
  status: "open",
  at: 1,
  ...over,
});

const order = (over: Partial<Order> = {}): Order => ({
  id: "r1",
  itemId: "i1",
  conversationId: "c1",
  buyerId: BUYER,
  sellerId: SELLER,
  status: "bought",
  at: 1,
  priceCents: 4000,
  ...over,
});

const item = (over: Partial<Item> = {}): Item => ({ id: "i1", sellerId: SELLER, title: "Bike", priceCents: 5000, description: "", status: "listed", at: 1, ...over });

describe("offerActions: what each party may do with an offer", () => {
  it("an open offer from the buyer: the seller accepts, declines or counters; the buyer may only withdraw it", () => {
    expect(offerActions(offer(), SELLER)).toEqual(["accept", "decline", "counter"]);
    expect(offerActions(offer(), BUYER)).toEqual(["withdraw"]);
    expect(offerActions(offer(), STRANGER)).toEqual([]);
  });

  it("a counter from the seller: the buyer answers it, the seller may withdraw it", () => {
    const counter = offer({ by: SELLER, counterOf: "o0" });
    expect(offerActions(counter, BUYER)).toEqual(["accept", "decline", "counter"]);
    expect(offerActions(counter, SELLER)).toEqual(["withdraw"]);
  });

  it("a closed offer offers nothing to anyone, in every closed state", () => {
    for (const status of OFFER_STATUSES.filter((s) => s !== "open")) {
      for (const who of [BUYER, SELLER]) expect(offerActions(offer({ status }), who), `${status} for ${who}`).toEqual([]);
    }
  });

  it("on a listing that sold or was withdrawn, an open offer can only be declined (or withdrawn by its maker)", () => {
    expect(offerActions(offer(), SELLER, "sold")).toEqual(["decline"]);
    expect(offerActions(offer(), SELLER, "withdrawn")).toEqual(["decline"]);
    expect(offerActions(offer(), BUYER, "sold")).toEqual(["withdraw"]);
    expect(offerActions(offer(), SELLER, "reserved")).toEqual(["accept", "decline", "counter"]);
  });
});

describe("mergeOffer: offers only move forward", () => {
  it("a late open copy never reopens a closed offer", () => {
    const declined = offer({ status: "declined", at: 3 });
    expect(mergeOffer(declined, offer({ at: 2 }))).toBe(declined);
  });

  it("a closing copy replaces the open one and keeps the order it led to", () => {
    expect(mergeOffer(offer(), offer({ status: "accepted", orderId: "r1" }))).toMatchObject({ status: "accepted", orderId: "r1" });
    expect(mergeOffer(offer({ status: "accepted", orderId: "r1" }), offer({ status: "accepted" })).orderId).toBe("r1");
    expect(mergeOffer(undefined, offer())).toEqual(offer());
  });

  it("finds the buyer's one open offer, whoever made it", () => {
    const list = [offer({ id: "a", status: "countered" }), offer({ id: "b", by: SELLER })];
    expect(openOfferOf(list, BUYER)?.id).toBe("b");
    expect(openOfferOf(list, "u-other")).toBeUndefined();
  });
});

describe("checkOfferPrice", () => {
  it("takes a price like the sell form, but not nothing", () => {
    expect(checkOfferPrice("40")).toEqual({ ok: true, cents: 4000 });
    expect(checkOfferPrice("12,50")).toEqual({ ok: true, cents: 1250 });
    expect(checkOfferPrice("0")).toEqual({ ok: false, message: "An offer must be more than nothing." });
    expect(checkOfferPrice("free")).toMatchObject({ ok: false });
    expect(checkOfferPrice("")).toMatchObject({ ok: false });
    expect(checkOfferPrice("-3")).toEqual({ ok: false, message: "The price can't be negative." });
    expect(checkOfferPrice("lots")).toEqual({ ok: false, message: "Enter a price like 12.50" });
  });
});

describe("orders: cancel and what each side reads", () => {
  it("either party may cancel before it ships; only the seller must say why", () => {
    expect(cancelRule(order(), SELLER)).toEqual({ may: true, reasonRequired: true });
    expect(cancelRule(order(), BUYER)).toEqual({ may: true, reasonRequired: false });
    expect(cancelRule(order(), STRANGER).may).toBe(false);
    for (const status of ["shipped", "received", "cancelled"] as const) expect(cancelRule(order({ status }), BUYER).may).toBe(false);
  });

  it("a cancelled order is not active: Buy and offers come back", () => {
    expect(isActiveOrder(order())).toBe(true);
    expect(isActiveOrder(order({ status: "cancelled" }))).toBe(false);
    expect(isActiveOrder(null)).toBe(false);
  });

  it("says who cancelled and why, and the price an order was bought at", () => {
    const names = { buyer: "Alice", seller: "Bob" };
    const cancelled = order({ status: "cancelled", cancelledBy: SELLER, reason: "It broke" });
    expect(orderStatusText(cancelled, BUYER, names)).toBe("Order cancelled by Bob: “It broke”");
    expect(orderStatusText(cancelled, SELLER, names)).toBe("Order cancelled by you: “It broke”");
    expect(orderStatusText(order({ status: "cancelled", cancelledBy: BUYER }), SELLER, names)).toBe("Order cancelled by Alice");
    expect(orderStatusText(order(), BUYER, names)).toBe("Bought for $40.00 — waiting for the seller to ship");
    expect(orderStatusText(order({ priceCents: undefined }), SELLER, names)).toBe("Sold — please ship the item");
  });
});

describe("the words for offers, orders and listings", () => {
  const names = { buyer: "Alice", seller: "Bob" };

  it("in English: whole sentences, “You” or the other person's name", () => {
    expect(offerHeadline({ by: BUYER, priceCents: 4000 }, BUYER, "Alice", false)).toBe("You offered $40.00");
    expect(offerHeadline({ by: SELLER, priceCents: 4500 }, BUYER, "Bob", true)).toBe("Bob countered with $45.00");
    expect(offerWaitingText(offer(), BUYER, "Bob")).toBe("Waiting for Bob to answer");
    expect(offerWaitingText(offer(), SELLER, "Alice")).toBe("Your answer?");
    expect(offerWaitingText(offer({ status: "declined" }), SELLER, "Alice")).toBeNull();
    expect(offerStateText("countered")).toBe("Countered");
    expect(itemStatusText("reserved")).toBe("Reserved");
    expect(orderStatusText(order({ status: "shipped" }), BUYER, names)).toBe("Shipped — confirm when it arrives");
    expect(orderStatusText(order({ status: "cancelled" }), BUYER, names)).toBe("Order cancelled");
  });

  it("in Chinese", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(offerHeadline({ by: BUYER, priceCents: 4000 }, BUYER, "Alice", false)).toBe("你出价 US$40.00");
      expect(offerHeadline({ by: SELLER, priceCents: 4500 }, BUYER, "Bob", true)).toBe("Bob还价 US$45.00");
      expect(offerWaitingText(offer(), BUYER, "Bob")).toBe("等待Bob回复");
      expect(offerWaitingText(offer(), SELLER, "Alice")).toBe("等你回复");
      expect(offerStateText("open")).toBe("待回复");
      expect(itemStatusText("withdrawn")).toBe("已下架");
      expect(checkOfferPrice("0")).toEqual({ ok: false, message: "出价必须大于 0。" });
      expect(orderStatusText(order(), BUYER, names)).toBe("已买下，成交价 US$40.00，等待卖家发货");
      expect(orderStatusText(order({ priceCents: undefined }), SELLER, names)).toBe("已卖出，请尽快发货");
      expect(orderStatusText(order({ status: "received" }), SELLER, names)).toBe("已确认收货，交易完成");
      const cancelled = order({ status: "cancelled", cancelledBy: SELLER, reason: "It broke" });
      expect(orderStatusText(cancelled, BUYER, names)).toBe("Bob取消了订单：“It broke”");
      expect(orderStatusText(cancelled, SELLER, names)).toBe("你取消了订单：“It broke”");
      expect(orderStatusText(order({ status: "cancelled", cancelledBy: BUYER }), SELLER, names)).toBe("Alice取消了订单");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});

describe("listingActions: the seller's own listing", () => {
  it("by status: listed and reserved can be edited, reserved/put back, withdrawn; withdrawn can be listed again; sold is final", () => {
    expect(listingActions(item(), SELLER)).toEqual(["edit", "reserve", "withdraw"]);
    expect(listingActions(item(itemWire("reserved")), SELLER)).toEqual(["edit", "unreserve", "withdraw"]);
    expect(listingActions(item(itemWire("withdrawn")), SELLER)).toEqual(["edit", "relist"]);
    expect(listingActions(item({ status: "sold" }), SELLER)).toEqual([]);
  });

  it("nothing for anyone else, nor while an order is going (a cancelled one is over)", () => {
    expect(listingActions(item(), BUYER)).toEqual([]);
    expect(listingActions(item(), SELLER, order())).toEqual([]);
    expect(listingActions(item(), SELLER, order({ status: "cancelled" }))).toEqual(["edit", "reserve", "withdraw"]);
  });

  it("the catalogue lists available listings first: listed, then reserved, then sold and withdrawn, newest first within each", () => {
    const list = [item({ id: "w", ...itemWire("withdrawn"), at: 9 }), item({ id: "r", ...itemWire("reserved"), at: 8 }), item({ id: "l-old", at: 1 }), item({ id: "l-new", at: 5 }), item({ id: "s", status: "sold", at: 7 })];
    expect(list.sort(compareListings).map((i) => i.id)).toEqual(["l-new", "l-old", "r", "s", "w"]);
  });
});
