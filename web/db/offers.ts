import { z } from "zod";
import { offerSchema, type Entry, type Item, type Offer, type Order } from "../../shared/protocol/index.js";
import { mergeOffer } from "../features/offers/rules.js";
import type { CourierDb } from "./database.js";
import { withOrder } from "./consumers.js";
import { lazy } from "../../shared/protocol/lazy.js";

/**
 * Offers on this device (docs/marketplace.md "Offers and orders"): each
 * change reaches both parties as an `offer` entry in their system domain; an
 * offer card in the chat shows the row held here, so it shows the offer's
 * current state, not the state it had when its message was written.
 */

const offerEntrySchema = lazy(() => z.object({ offer: offerSchema }));

/** The `offer` consumer: runs inside the store's transaction, touching only the offers table. */
export async function applyOfferEntries(db: CourierDb, entries: Entry[]): Promise<void> {
  const offers: Offer[] = [];
  for (const entry of entries) {
    const parsed = offerEntrySchema.safeParse(entry.data);
    if (parsed.success) offers.push(parsed.data.offer);
    else console.warn(`courier: skipping malformed ${entry.d}:${entry.v} (${entry.k})`, parsed.error.issues[0]);
  }
  await putOffers(db, offers);
}

/** Merges offers into the table (offers only move forward; see mergeOffer). */
async function putOffers(db: CourierDb, offers: readonly Offer[]): Promise<void> {
  if (offers.length === 0) return;
  const held = new Map<string, Offer | undefined>();
  const ids = [...new Set(offers.map((o) => o.id))];
  (await db.offers.bulkGet(ids)).forEach((row, i) => held.set(ids[i]!, row));
  for (const offer of offers) held.set(offer.id, mergeOffer(held.get(offer.id), offer));
  await db.offers.bulkPut([...held.values()].filter((o): o is Offer => o !== undefined));
}

/** What the server answered to this device's own request: shown now; its entry confirms it later. */
export async function storeOffers(db: CourierDb, offers: readonly Offer[]): Promise<void> {
  await db.transaction("rw", db.offers, () => putOffers(db, offers));
}

/** An order the server answered (bought, accepted, shipped, cancelled): on its conversation's summary now. */
export async function storeOrder(db: CourierDb, order: Order): Promise<void> {
  await db.transaction("rw", db.conversations, async () => {
    const current = await db.conversations.get(order.conversationId);
    const updated = current && withOrder(current, order);
    if (updated) await db.conversations.put(updated);
  });
}

/** The held copy updated from a newer one; `availability` goes with `status` (absent means none, not "as before"). */
function mergeItem(held: Item | null | undefined, item: Item): Item {
  const merged = { ...held, ...item };
  if (item.availability === undefined) delete merged.availability;
  return merged;
}

/** A listing I changed: every conversation about it held here shows the change now (their `conv` entries follow). */
export async function storeItem(db: CourierDb, item: Item): Promise<void> {
  await db.transaction("rw", db.conversations, async () => {
    const about = await db.conversations.filter((s) => s.conversation.itemId === item.id).toArray();
    if (about.length > 0) await db.conversations.bulkPut(about.map((s) => ({ ...s, item: mergeItem(s.item, item) })));
  });
}
