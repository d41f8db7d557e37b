import type { CreateItem, Item, Order, OrderStatus } from "../../../shared/protocol/index.js";
import { type ItemRow, type OrderRow, toItem, toOrder } from "../rows.js";
import type { ItemRepo, OrderRepo } from "../tx.js";
import { type Db, first } from "./db.js";

const ITEM_COLUMNS = `id, seller_id, title, price_cents, description, status, at`;
const ORDER_COLUMNS = `id, item_id, conversation_id, buyer_id, seller_id, status, at`;

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

  async list(limit: number): Promise<Item[]> {
    const { rows } = await this.db.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items ORDER BY at DESC, id LIMIT $1`, [limit]);
    return rows.map(toItem);
  }

  async setStatus(id: string, status: Item["status"]): Promise<void> {
    await this.db.query(`UPDATE items SET status = $2 WHERE id = $1`, [id, status]);
  }
}

export class PgOrders implements OrderRepo {
  constructor(private readonly db: Db) {}

  /** A second order for the same item violates `orders.item_id UNIQUE`: the engine retries and the rule sees it sold. */
  async insert(o: Order): Promise<void> {
    await this.db.query(
      `INSERT INTO orders (id, item_id, conversation_id, buyer_id, seller_id, status, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [o.id, o.itemId, o.conversationId, o.buyerId, o.sellerId, o.status, o.at],
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
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE conversation_id = $1 ORDER BY at DESC LIMIT 1`,
      [conversationId],
    );
    return rows[0] ? toOrder(rows[0]) : null;
  }

  async setStatus(id: string, status: OrderStatus, at: number): Promise<void> {
    await this.db.query(`UPDATE orders SET status = $2, at = $3 WHERE id = $1`, [id, status, at]);
  }
}
