import type Database from "better-sqlite3";
import type { Order, OrderStatus } from "../../../shared/protocol/index.js";
import { toOrder, type OrderRow } from "./rows.js";

/** Orders of item conversations. */
export class OrderStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO orders (id, item_id, conversation_id, buyer_id, seller_id, status, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare<[string], OrderRow>(`SELECT * FROM orders WHERE id = ?`),
      ofConversation: db.prepare<[string], OrderRow>(`SELECT * FROM orders WHERE conversation_id = ? ORDER BY at DESC LIMIT 1`),
      setStatus: db.prepare(`UPDATE orders SET status = ?, at = ? WHERE id = ?`),
    };
  }

  insert(o: Order): void {
    this.s.insert.run(o.id, o.itemId, o.conversationId, o.buyerId, o.sellerId, o.status, o.at);
  }

  get(id: string): Order | null {
    const row = this.s.get.get(id);
    return row ? toOrder(row) : null;
  }

  ofConversation(conversationId: string): Order | null {
    const row = this.s.ofConversation.get(conversationId);
    return row ? toOrder(row) : null;
  }

  setStatus(id: string, status: OrderStatus, at: number): Order {
    this.s.setStatus.run(status, at, id);
    return this.get(id)!;
  }
}
