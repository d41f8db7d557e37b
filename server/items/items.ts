import { CourierError, type Item, itemState, type UpdateItem } from "../../shared/protocol/index.js";
import { announceConversation } from "../conversations/conversations.js";
import { setItemPhotos } from "../media/media.js";
import type { ConversationRecord, Repos } from "../storage/storage.js";

/**
 * Listings (docs/marketplace.md "Offers and orders"): the seller edits,
 * reserves, withdraws and lists again; a sold listing stays as it is. Every
 * change reaches the conversations about the item as their `conv` entries
 * (the summary carries the item), as a sale does.
 */

/** A price as the server writes it in chat lines: "12.00" (no currency: the protocol carries none). */
export function amount(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** Why a listing can't be bought or offered on now (a 409 to throw), or null when it can. */
export function unavailable(item: Item, buying: boolean): CourierError | null {
  switch (itemState(item)) {
    case "sold":
      return CourierError.conflict("This item is already sold.", "item_sold");
    case "withdrawn":
      return CourierError.conflict("The seller took this listing down.", "item_withdrawn");
    case "reserved":
      // The seller holds it for someone: they may still accept an offer, nobody can just buy it.
      return buying ? CourierError.conflict("The seller has reserved this item.", "item_reserved") : null;
    case "listed":
      return null;
  }
}

/**
 * Every conversation about the item, locked in id order. Called after the
 * item's lock and before any head (the lock order in storage/tx.ts): each is
 * announced afterwards, and a recall or hide in one of them meanwhile must not
 * leave its text in that entry.
 */
export async function lockItemConversations(r: Repos, itemId: string): Promise<ConversationRecord[]> {
  const locked: ConversationRecord[] = [];
  for (const { id } of (await r.conversations.ofItem(itemId)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    locked.push((await r.conversations.lock(id))!);
  }
  return locked;
}

/** Everyone in the conversations about the item (but `except`) gets their summary again: it carries the item as it is now. */
export async function announceItem(r: Repos, conversations: readonly ConversationRecord[], except: string | null, at: number): Promise<void> {
  for (const conv of conversations) {
    if (conv.id !== except) await announceConversation(r, conv, at);
  }
}

/**
 * `PATCH /api/items/:id`: the seller's edit. Unknown → 404, someone else →
 * 403, a sold listing → 409 (an order going means sold, so a listing with
 * an order is never withdrawn; a cancelled order lists it again first).
 */
export async function updateItem(r: Repos, userId: string, itemId: string, patch: UpdateItem, at: number): Promise<Item> {
  const item = await r.items.lock(itemId);
  if (!item) throw CourierError.notFound("No such item.", "item_not_found");
  if (item.sellerId !== userId) throw CourierError.forbidden("Only the seller can change this listing.", "listing_seller_only");
  if (itemState(item) === "sold") throw CourierError.conflict("This item is sold; its listing can't change.", "listing_sold");
  const { mediaIds, ...fields } = patch;
  await r.items.update(itemId, fields);
  // Photos: the seller's own uploads, in order (400 naming one that is not); [] removes them all.
  if (mediaIds !== undefined) await setItemPhotos(r, itemId, userId, mediaIds);
  await announceItem(r, await lockItemConversations(r, itemId), null, at);
  return (await r.items.get(itemId))!;
}
