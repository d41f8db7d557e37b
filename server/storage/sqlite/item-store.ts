import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { CreateItem, Item } from "../../../shared/protocol/index.js";
import { toItem, type ItemRow } from "./rows.js";

/** The catalogue: listings people chat and trade about. */
export class ItemStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO items (id, seller_id, title, price_cents, description, status, at) VALUES (?, ?, ?, ?, ?, 'listed', ?)`,
      ),
      get: db.prepare<[string], ItemRow>(`SELECT * FROM items WHERE id = ?`),
      list: db.prepare<[number], ItemRow>(`SELECT * FROM items ORDER BY at DESC, id LIMIT ?`),
      setStatus: db.prepare(`UPDATE items SET status = ? WHERE id = ?`),
    };
  }

  create(sellerId: string, input: CreateItem, at: number): Item {
    const id = randomUUID();
    this.s.insert.run(id, sellerId, input.title, input.priceCents, input.description ?? "", at);
    return this.get(id)!;
  }

  get(id: string): Item | null {
    const row = this.s.get.get(id);
    return row ? toItem(row) : null;
  }

  list(limit: number): Item[] {
    return this.s.list.all(limit).map(toItem);
  }

  setStatus(id: string, status: Item["status"]): void {
    this.s.setStatus.run(status, id);
  }
}
