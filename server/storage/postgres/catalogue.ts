import type { CreateItem, Item, ItemState, Offer, OfferStatus, Order, OrderStatus } from "../../../shared/protocol/index.js";
import { type ItemRow, type OfferRow, type OrderRow, toItem, toOffer, toOrder } from "../rows.js";
import type { ItemPatch, ItemRepo, OfferRepo, OrderRepo } from "../tx.js";
import { type Db, first } from "./db.js";

const ITEM_COLUMNS = `id, seller_id, title, price_cents, description, status, at, photos`;
const ORDER_COLUMNS = `id, item_id, conversation_id, buyer_id, seller_id, status, at, price_cents, offer_id, cancelled_by, reason`;
const OFFER_COLUMNS = `id, item_id, conversation_id, buyer_id, seller_id, by_id, price_cents, status, counter_of, order_id, at`;

export class PgItems implements ItemRepo {
  constructor(private readonly db: Db) {}

  async insert(item: { id: string; sellerId: string; at: number } & CreateItem): Promise<void> {
    await this.db.query(
      `INSERT INTO items (id, seller_id, title, price_cents, description, status, at) VALUES ($1, $2, $3, $4, $5, 'listed', $6)`,
      [item.id, item.sellerId, item.title, item.priceCents, item.description ?? "", item.at],
    );
  }

  get(id: string, lock = ""): Promise<Item | null> {
    return first(this.db, `SELECT ${ITEM_COLUMNS} FROM items WHERE id = $1${lock}`, [id], toItem);
  }

  lock(id: string): Promise<Item | null> {
    return this.get(id, this.db.forUpdate);
  }

  async list(limit: number, seller?: { id: string; everyStatus: boolean }): Promise<Item[]> {
    const catalogue = `status IN ('listed', 'reserved')`;
    const { rows } = seller
      ? await this.db.query<ItemRow>(
          `SELECT ${ITEM_COLUMNS} FROM items WHERE seller_id = $2 ${seller.everyStatus ? "" : `AND ${catalogue}`} ORDER BY at DESC, id LIMIT $1`,
          [limit, seller.id],
        )
      : await this.db.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE ${catalogue} ORDER BY at DESC, id LIMIT $1`, [limit]);
    return rows.map(toItem);
  }

  async setStatus(id: string, status: ItemState): Promise<void> {
    await this.db.query(`UPDATE items SET status = $2 WHERE id = $1`, [id, status]);
  }

  async update(id: string, p: ItemPatch): Promise<void> {
    await this.db.query(
      `UPDATE items SET title = coalesce($2, title), price_cents = coalesce($3, price_cents), description = coalesce($4, description), status = coalesce($5, status)
       WHERE id = $1`,
      [id, p.title ?? null, p.priceCents ?? null, p.description ?? null, p.status ?? null],
    );
  }
}

export class PgOrders implements OrderRepo {
  constructor(private readonly db: Db) {}

  /** A second order for the same item (not cancelled) violates `orders_item_active`: the engine retries and the rule sees it sold. */
  async insert(o: Order): Promise<void> {
    await this.db.query(
      `INSERT INTO orders (id, item_id, conversation_id, buyer_id, seller_id, status, at, price_cents, offer_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [o.id, o.itemId, o.conversationId, o.buyerId, o.sellerId, o.status, o.at, o.priceCents ?? null, o.offerId ?? null],
    );
  }

  get(id: string, lock = ""): Promise<Order | null> {
    return first(this.db, `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1${lock}`, [id], toOrder);
  }

  lock(id: string): Promise<Order | null> {
    return this.get(id, this.db.forUpdate);
  }

  async ofConversation(conversationId: string): Promise<Order | null> {
    const { rows } = await this.db.query<OrderRow>(
      // The order going (at most one per item), else the newest cancelled one.
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE conversation_id = $1 ORDER BY status <> 'cancelled' DESC, at DESC LIMIT 1`,
      [conversationId],
    );
    return rows[0] ? toOrder(rows[0]) : null;
  }

  async setStatus(id: string, status: OrderStatus, at: number): Promise<void> {
    await this.db.query(`UPDATE orders SET status = $2, at = $3 WHERE id = $1`, [id, status, at]);
  }

  async cancel(id: string, by: string, reason: string | null, at: number): Promise<void> {
    await this.db.query(`UPDATE orders SET status = 'cancelled', cancelled_by = $2, reason = $3, at = $4 WHERE id = $1`, [id, by, reason, at]);
  }
}

export class PgOffers implements OfferRepo {
  constructor(private readonly db: Db) {}

  /** A second open offer of a buyer on an item violates `offers_open`: the engine retries and the rule sees the first. */
  async insert(o: Offer): Promise<void> {
    await this.db.query(
      `INSERT INTO offers (${OFFER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [o.id, o.itemId, o.conversationId, o.buyerId, o.sellerId, o.by, o.priceCents, o.status, o.counterOf ?? null, o.orderId ?? null, o.at],
    );
  }

  get(id: string, lock = ""): Promise<Offer | null> {
    return first(this.db, `SELECT ${OFFER_COLUMNS} FROM offers WHERE id = $1${lock}`, [id], toOffer);
  }

  lock(id: string): Promise<Offer | null> {
    return this.get(id, this.db.forUpdate);
  }

  openOf(itemId: string, buyerId: string): Promise<Offer | null> {
    return first(this.db, `SELECT ${OFFER_COLUMNS} FROM offers WHERE item_id = $1 AND buyer_id = $2 AND status = 'open'`, [itemId, buyerId], toOffer);
  }

  async lockOpenOnItem(itemId: string): Promise<Offer[]> {
    const { rows } = await this.db.query<OfferRow>(
      `SELECT ${OFFER_COLUMNS} FROM offers WHERE item_id = $1 AND status = 'open' ORDER BY id${this.db.forUpdate}`,
      [itemId],
    );
    return rows.map(toOffer);
  }

  async close(id: string, status: Exclude<OfferStatus, "open">, at: number, orderId?: string): Promise<void> {
    await this.db.query(`UPDATE offers SET status = $2, at = $3, order_id = coalesce($4, order_id) WHERE id = $1`, [id, status, at, orderId ?? null]);
  }

  async list(where: { conversationId: string } | { itemId: string; buyerId?: string }, limit: number): Promise<Offer[]> {
    const [filter, values] =
      "conversationId" in where
        ? ["conversation_id = $1", [where.conversationId]]
        : where.buyerId !== undefined
          ? ["item_id = $1 AND buyer_id = $2", [where.itemId, where.buyerId]]
          : ["item_id = $1", [where.itemId]];
    const { rows } = await this.db.query<OfferRow>(
      `SELECT ${OFFER_COLUMNS} FROM offers WHERE ${filter} ORDER BY at DESC, id DESC LIMIT $${values.length + 1}`,
      [...values, limit],
    );
    return rows.map(toOffer);
  }
}
