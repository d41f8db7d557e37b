import { type Item, type ItemState, itemState, type User } from "../../../shared/protocol/index.js";

/**
 * The seller as the server may describe it: an optional extension field
 * `seller: {id, username, displayName}` on items. Older servers leave it
 * out, and it is checked here rather than trusted, so a missing or odd
 * value just means "not known".
 */
export function itemSeller(item: Item): User | null {
  const seller: unknown = (item as { seller?: unknown }).seller;
  if (!seller || typeof seller !== "object") return null;
  const { id, username, displayName } = seller as Record<string, unknown>;
  if (typeof id !== "string" || typeof username !== "string" || typeof displayName !== "string") return null;
  if (id !== item.sellerId) return null;
  return { id, username, displayName };
}

/**
 * The name to show for an item's seller: the item's own `seller`, else one
 * of the people this user already shares a conversation with, else null.
 */
export function sellerName(item: Item, known?: ReadonlyMap<string, User>): string | null {
  const seller = itemSeller(item) ?? known?.get(item.sellerId) ?? null;
  if (!seller) return null;
  return seller.displayName || seller.username;
}

const AVAILABILITY: readonly ItemState[] = ["listed", "reserved", "sold", "withdrawn"];

/** Available first (listed, then reserved), then sold and withdrawn; newest first within each. */
export function compareListings(a: Item, b: Item): number {
  return AVAILABILITY.indexOf(itemState(a)) - AVAILABILITY.indexOf(itemState(b)) || b.at - a.at;
}
