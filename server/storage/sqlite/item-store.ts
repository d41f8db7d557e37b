import type Database from "better-sqlite3";
import type { CreateItem, Item, ItemState, Order, OrderStatus } from "../../../shared/protocol/index.js";
import type { ItemPatch, ItemRepo, OrderRepo } from "../tx.js";
import { toItem, toOrder, type ItemRow, type OrderRow } from "../rows.js";

/** The catalogue: listings people chat and trade about. */
export class ItemStore implements ItemRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO items (id, seller_id, title, price_cents, description, status, at) VALUES (?, ?, ?, ?, ?, 'listed', ?)`,
      ),
      get: db.prepare<[string], ItemRow>(`SELECT * FROM items WHERE id = ?`),
      list: db.prepare<[number], ItemRow>(`SELECT * FROM items WHERE status IN ('listed', 'reserved') ORDER BY at DESC, id LIMIT +?`),
      // '' for every status: a seller's own shelf shows their sold and withdrawn listings too.
      ofSeller: db.prepare<[string, string, number], ItemRow>(
        `SELECT * FROM items WHERE seller_id = ? AND (? = '' OR status IN ('listed', 'reserved')) ORDER BY at DESC, id LIMIT +?`,
      ),
      setStatus: db.prepare(`UPDATE items SET status = ? WHERE id = ?`),
      update: db.prepare(
        `UPDATE items SET title = coalesce(?, title), price_cents = coalesce(?, price_cents), description = coalesce(?, description), status = coalesce(?, status)
         WHERE id = ?`,
      ),
    };
  }

  insert(item: { id: string; sellerId: string; at: number } & CreateItem): void {
    this.s.insert.run(item.id, item.sellerId, item.title, item.priceCents, item.description ?? "", item.at);
  }

  get(id: string): Item | null {
    const row = this.s.get.get(id);
    return row ? toItem(row) : null;
  }

  /** The whole database is locked by the write transaction already. */
  lock(id: string): Item | null {
    return this.get(id);
  }

  list(limit: number, seller?: { id: string; everyStatus: boolean }): Item[] {
    const rows = seller ? this.s.ofSeller.all(seller.id, seller.everyStatus ? "" : "catalogue", limit) : this.s.list.all(limit);
    return rows.map(toItem);
  }

  setStatus(id: string, status: ItemState): void {
    this.s.setStatus.run(status, id);
  }

  update(id: string, p: ItemPatch): void {
    this.s.update.run(p.title ?? null, p.priceCents ?? null, p.description ?? null, p.status ?? null, id);
  }
}

/** Orders of item conversations. */
export class OrderStore implements OrderRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO orders (id, item_id, conversation_id, buyer_id, seller_id, status, at, price_cents, offer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare<[string], OrderRow>(`SELECT * FROM orders WHERE id = ?`),
      // The order going (at most one per item), else the newest cancelled one.
      ofConversation: db.prepare<[string], OrderRow>(
        `SELECT * FROM orders WHERE conversation_id = ? ORDER BY status <> 'cancelled' DESC, at DESC LIMIT 1`,
      ),
      setStatus: db.prepare(`UPDATE orders SET status = ?, at = ? WHERE id = ?`),
      cancel: db.prepare(`UPDATE orders SET status = 'cancelled', cancelled_by = ?, reason = ?, at = ? WHERE id = ?`),
    };
  }

  insert(o: Order): void {
    this.s.insert.run(o.id, o.itemId, o.conversationId, o.buyerId, o.sellerId, o.status, o.at, o.priceCents ?? null, o.offerId ?? null);
  }

  get(id: string): Order | null {
    const row = this.s.get.get(id);
    return row ? toOrder(row) : null;
  }

  lock(id: string): Order | null {
    return this.get(id);
  }

  ofConversation(conversationId: string): Order | null {
    const row = this.s.ofConversation.get(conversationId);
    return row ? toOrder(row) : null;
  }

  setStatus(id: string, status: OrderStatus, at: number): void {
    this.s.setStatus.run(status, at, id);
  }

  cancel(id: string, by: string, reason: string | null, at: number): void {
    this.s.cancel.run(by, reason, at, id);
  }
}
