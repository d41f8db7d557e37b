import { z } from "zod";
import { itemSchema, offerSchema, orderSchema, type Item, type Offer, type Order, type RespondOffer, type UpdateItem } from "../../../shared/protocol/index.js";
import type { Api } from "../../api/client.js";
import { lazy } from "../../../shared/protocol/lazy.js";

/** The routes of docs/marketplace.md "Offers and orders", over the app's HTTP client. */

const offerBody = lazy(() => z.object({ offer: offerSchema }));
const offersBody = lazy(() => z.object({ offers: z.array(offerSchema) }));
const respondBody = lazy(() => z.object({ offer: offerSchema, order: orderSchema.optional(), counter: offerSchema.optional() }));
const orderBody = lazy(() => z.object({ order: orderSchema }));
const itemBody = lazy(() => z.object({ item: itemSchema }));
const itemsBody = lazy(() => z.object({ items: z.array(itemSchema) }));

const enc = encodeURIComponent;

/** `POST /api/offers` (the buyer): creates the item conversation if needed. */
export async function makeOffer(api: Api, itemId: string, priceCents: number): Promise<Offer> {
  return (await api.http.request("POST", "/api/offers", { body: { itemId, priceCents }, schema: offerBody })).offer;
}

/** `POST /api/offers/:id/respond`: the offer as closed, and the order (accepted) or the new open offer (countered). */
export function respondToOffer(api: Api, offerId: string, response: RespondOffer): Promise<{ offer: Offer; order?: Order; counter?: Offer }> {
  return api.http.request("POST", `/api/offers/${enc(offerId)}/respond`, { body: response, schema: respondBody });
}

/** The offers of one item conversation, for a device that did not see their entries (a snapshot, a new device). */
export async function offersOfConversation(api: Api, conversationId: string): Promise<Offer[]> {
  return (await api.http.request("GET", "/api/offers", { query: { conversationId }, schema: offersBody })).offers;
}

/** `POST /api/orders` with the price the buyer confirmed: `409` when the listing's price is not that any more. */
export async function buyAt(api: Api, itemId: string, priceCents: number): Promise<Order> {
  return (await api.http.request("POST", "/api/orders", { body: { itemId, priceCents }, schema: orderBody })).order;
}

/** Cancel before it ships: the seller must give a reason, the buyer may. */
export async function cancelOrder(api: Api, orderId: string, reason: string | undefined): Promise<Order> {
  const body = reason ? { status: "cancelled", reason } : { status: "cancelled" };
  return (await api.http.request("PATCH", `/api/orders/${enc(orderId)}`, { body, schema: orderBody })).order;
}

/** `PATCH /api/items/:id` (the seller): edit, reserve, put back, withdraw, list again. */
export async function updateItem(api: Api, itemId: string, patch: UpdateItem): Promise<Item> {
  return (await api.http.request("PATCH", `/api/items/${enc(itemId)}`, { body: patch, schema: itemBody })).item;
}

/** Every listing of mine, whatever its status (the catalogue shows only listed and reserved ones). */
export async function myItems(api: Api, sellerId: string): Promise<Item[]> {
  return (await api.http.request("GET", "/api/items", { query: { sellerId }, schema: itemsBody })).items;
}
