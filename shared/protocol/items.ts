import { z } from "zod";
import { userSchema } from "./auth.js";
import { humanText, idSchema } from "./common.js";
import { mediaSchema } from "./messages.js";
import { lazy } from "./lazy.js";

export const itemSchema = lazy(() => z.object({
  id: idSchema,
  sellerId: idSchema,
  title: z.string(),
  priceCents: z.number().int(),
  description: z.string(),
  /**
   * The contract's two values, and only those: a client that knows nothing
   * else reads "listed" as buyable and "sold" as not. The finer state of
   * issue 14 rides in `availability` (read both with `itemState`).
   */
  status: z.enum(["listed", "sold"]),
  /**
   * extension (docs/marketplace.md): "reserved" (status "listed": the seller
   * holds it for someone; still in the catalogue, marked, offers still
   * taken) or "withdrawn" (status "sold": the seller took it down; it leaves
   * the catalogue and stays in its conversations). Absent: as `status` says.
   */
  availability: z.enum(["reserved", "withdrawn"]).optional(),
  at: z.number(),
  /** extension: who sells it, so a buyer sees a name without another request */
  seller: userSchema.optional(),
  /** The listing's photos (contract: Media and rich messages), in order; every signed-in user may see them. */
  photos: z.array(mediaSchema).optional(),
}));
export type Item = z.infer<typeof itemSchema>;

/** A listing's whole state: the contract's status refined by the `availability` extension. */
export type ItemState = "listed" | "reserved" | "sold" | "withdrawn";

/** What a listing is now, read from the wire fields (`availability` wins over `status`). */
export function itemState(item: Pick<Item, "status" | "availability">): ItemState {
  return item.availability ?? item.status;
}

/** The wire fields of a state: reserved is still "listed", withdrawn is "sold" to a client that knows only the contract. */
export function itemWire(state: ItemState): Pick<Item, "status" | "availability"> {
  switch (state) {
    case "reserved":
      return { status: "listed", availability: "reserved" };
    case "withdrawn":
      return { status: "sold", availability: "withdrawn" };
    default:
      return { status: state };
  }
}

export const createItemSchema = lazy(() => z.strictObject({
  title: humanText(120, { trim: true, name: true }),
  priceCents: z.number().int().min(0).max(100_000_000_00),
  description: humanText(2000, { clearable: true }).optional(),
  /** The seller's own uploads (`POST /api/media`), up to 9, shown in this order. */
  mediaIds: z.array(idSchema).max(9).optional(),
}));
export type CreateItem = z.infer<typeof createItemSchema>;

/** `GET /api/items?sellerId=` (extension): one seller's listings; the seller's own in every status (sold, withdrawn too). */
export const listItemsQuerySchema = lazy(() => z.strictObject({ sellerId: idSchema.optional() }));

/**
 * extension: `PATCH /api/items/:id` (the seller): edit, reserve, put back,
 * withdraw. A sold listing can't change; a withdrawn one can be listed again.
 */
export const updateItemSchema = lazy(() => z
  .strictObject({
    title: createItemSchema.shape.title.optional(),
    priceCents: createItemSchema.shape.priceCents.optional(),
    description: createItemSchema.shape.description,
    mediaIds: createItemSchema.shape.mediaIds,
    status: z.enum(["listed", "reserved", "withdrawn"]).optional(),
  })
  .refine((u) => Object.values(u).some((v) => v !== undefined), "Say what to change."));
export type UpdateItem = z.infer<typeof updateItemSchema>;

/**
 * extension: the order flow of an item conversation (docs/marketplace.md).
 * bought (buyer, at the listed price or an accepted offer's) → shipped
 * (seller) → received (buyer); before it ships, either side may cancel
 * ("cancelled", with a reason), and the listing is listed again.
 */
export const ORDER_STATUSES = ["bought", "shipped", "received", "cancelled"] as const;
export const orderStatusSchema = lazy(() => z.enum(ORDER_STATUSES));
export type OrderStatus = z.infer<typeof orderStatusSchema>;

export const orderSchema = lazy(() => z.object({
  id: idSchema,
  itemId: idSchema,
  conversationId: idSchema,
  buyerId: idSchema,
  sellerId: idSchema,
  status: orderStatusSchema,
  at: z.number(),
  /** extension: the price agreed (the listing's, or the accepted offer's). Absent on orders older than issue 14. */
  priceCents: z.number().int().nonnegative().optional(),
  /** extension: the accepted offer the order came from. */
  offerId: idSchema.optional(),
  /** extension, status "cancelled": who cancelled and why. */
  cancelledBy: idSchema.optional(),
  reason: z.string().optional(),
}));
export type Order = z.infer<typeof orderSchema>;

/**
 * `POST /api/orders {itemId, priceCents?}` — the buyer buys. `priceCents`
 * (extension) is the price the buyer confirmed: `409` if the listing's price
 * is not that any more, so nobody pays a price they did not see.
 */
export const createOrderSchema = lazy(() => z.strictObject({ itemId: idSchema, priceCents: z.number().int().nonnegative().optional() }));
export const CANCEL_REASON_MAX = 300;
/**
 * `PATCH /api/orders/:id {status}` — shipped (seller) or received (buyer);
 * extension: "cancelled" by either side before it shipped, with a reason
 * (required of the seller, optional for the buyer) shown in the chat.
 */
export const advanceOrderSchema = lazy(() => z.strictObject({
  status: z.enum(["shipped", "received", "cancelled"]),
  reason: humanText(CANCEL_REASON_MAX, { trim: true }).optional(),
}));

/**
 * extension: offers in an item chat (docs/marketplace.md). The buyer offers
 * a price; the seller accepts (an order at that price), declines or counters
 * (a new open offer from the seller, which the buyer accepts or declines);
 * whoever made an open offer may withdraw it. One open offer per buyer and
 * item. Every change reaches both parties as an `offer` entry in their
 * system domain; a new offer is also a message of kind "offer" in the chat.
 */
export const OFFER_STATUSES = ["open", "accepted", "declined", "countered", "withdrawn", "expired"] as const;
export const offerStatusSchema = lazy(() => z.enum(OFFER_STATUSES));
export type OfferStatus = z.infer<typeof offerStatusSchema>;
export const offerSchema = lazy(() => z.object({
  id: idSchema,
  itemId: idSchema,
  conversationId: idSchema,
  buyerId: idSchema,
  sellerId: idSchema,
  /** Who made this offer: the buyer, or the seller when it is a counter. */
  by: idSchema,
  priceCents: z.number().int().nonnegative(),
  status: offerStatusSchema,
  /** The offer this one counters. */
  counterOf: idSchema.optional(),
  /** Set once accepted. */
  orderId: idSchema.optional(),
  at: z.number(),
}));
export type Offer = z.infer<typeof offerSchema>;
/** `POST /api/offers {itemId, priceCents}` (the buyer) → `201 {offer}`. */
export const createOfferSchema = lazy(() => z.strictObject({ itemId: idSchema, priceCents: createItemSchema.shape.priceCents.refine((p) => p > 0, "An offer must be more than nothing.") }));
/** `POST /api/offers/:id/respond {action, priceCents?}` → `{offer, order?}`. */
export const respondOfferSchema = lazy(() => z.discriminatedUnion("action", [
  z.strictObject({ action: z.literal("accept") }),
  z.strictObject({ action: z.literal("decline") }),
  z.strictObject({ action: z.literal("withdraw") }),
  z.strictObject({ action: z.literal("counter"), priceCents: createOfferSchema.shape.priceCents }),
]));
export type RespondOffer = z.infer<typeof respondOfferSchema>;
/**
 * `GET /api/offers?conversationId=` (a member of the item chat) or
 * `?itemId=` (the seller: every offer on it; a buyer: their own), newest
 * first → `{offers}`: the state of offers older than a device's synced entries.
 */
export const listOffersQuerySchema = lazy(() => z
  .strictObject({ conversationId: idSchema.optional(), itemId: idSchema.optional() })
  .refine((q) => (q.conversationId === undefined) !== (q.itemId === undefined), "Give either conversationId or itemId."));
export const OFFERS_LIST_MAX = 200;
