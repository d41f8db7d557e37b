import type Database from "better-sqlite3";
import type { Offer, OfferStatus } from "../../../shared/protocol/index.js";
import { type OfferRow, toOffer } from "../rows.js";
import type { OfferRepo } from "../tx.js";

/** Offers in item chats (issue 14). The write transaction locks the whole database, so `lock` is `get`. */
export class OfferStore implements OfferRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO offers (id, item_id, conversation_id, buyer_id, seller_id, by_id, price_cents, status, counter_of, order_id, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare<[string], OfferRow>(`SELECT * FROM offers WHERE id = ?`),
      openOf: db.prepare<[string, string], OfferRow>(`SELECT * FROM offers WHERE item_id = ? AND buyer_id = ? AND status = 'open'`),
      openOnItem: db.prepare<[string], OfferRow>(`SELECT * FROM offers WHERE item_id = ? AND status = 'open' ORDER BY id`),
      close: db.prepare(`UPDATE offers SET status = ?, at = ?, order_id = coalesce(?, order_id) WHERE id = ?`),
      ofConversation: db.prepare<[string, number], OfferRow>(`SELECT * FROM offers WHERE conversation_id = ? ORDER BY at DESC, id DESC LIMIT +?`),
      ofItem: db.prepare<[string, number], OfferRow>(`SELECT * FROM offers WHERE item_id = ? ORDER BY at DESC, id DESC LIMIT +?`),
      ofItemBuyer: db.prepare<[string, string, number], OfferRow>(
        `SELECT * FROM offers WHERE item_id = ? AND buyer_id = ? ORDER BY at DESC, id DESC LIMIT +?`,
      ),
    };
  }

  insert(o: Offer): void {
    this.s.insert.run(o.id, o.itemId, o.conversationId, o.buyerId, o.sellerId, o.by, o.priceCents, o.status, o.counterOf ?? null, o.orderId ?? null, o.at);
  }

  get(id: string): Offer | null {
    const row = this.s.get.get(id);
    return row ? toOffer(row) : null;
  }

  lock(id: string): Offer | null {
    return this.get(id);
  }

  openOf(itemId: string, buyerId: string): Offer | null {
    const row = this.s.openOf.get(itemId, buyerId);
    return row ? toOffer(row) : null;
  }

  lockOpenOnItem(itemId: string): Offer[] {
    return this.s.openOnItem.all(itemId).map(toOffer);
  }

  close(id: string, status: Exclude<OfferStatus, "open">, at: number, orderId?: string): void {
    this.s.close.run(status, at, orderId ?? null, id);
  }

  list(where: { conversationId: string } | { itemId: string; buyerId?: string }, limit: number): Offer[] {
    const rows =
      "conversationId" in where
        ? this.s.ofConversation.all(where.conversationId, limit)
        : where.buyerId !== undefined
          ? this.s.ofItemBuyer.all(where.itemId, where.buyerId, limit)
          : this.s.ofItem.all(where.itemId, limit);
    return rows.map(toOffer);
  }
}
