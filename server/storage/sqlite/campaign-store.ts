import type Database from "better-sqlite3";
import type { NewCampaign, StoredCampaign } from "../push-types.js";
import { type CampaignRow, toCampaign } from "../rows.js";
import type { CampaignRepo } from "../tx.js";

/**
 * Marketing campaigns and how far each has gone out: `sent_through` is the
 * last user id (in id order) whose marketing domain holds the campaign
 * (server/admin/campaigns.ts moves it with the entries it covers).
 */
export class CampaignStore implements CampaignRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO campaigns (id, idempotency_key, fingerprint, title, body, url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (idempotency_key) DO NOTHING`,
      ),
      byId: db.prepare<[string], CampaignRow>(`SELECT * FROM campaigns WHERE id = ?`),
      byKey: db.prepare<[string], CampaignRow>(`SELECT * FROM campaigns WHERE idempotency_key = ?`),
      progress: db.prepare(`UPDATE campaigns SET sent_through = ?, recipients = recipients + ? WHERE id = ?`),
      finish: db.prepare(`UPDATE campaigns SET done = 1 WHERE id = ?`),
    };
  }

  open(c: NewCampaign, at: number): { campaign: StoredCampaign; created: boolean } {
    const inserted = this.s.insert.run(c.id, c.key, c.fingerprint, c.title, c.body, c.url ?? null, at).changes === 1;
    const row = inserted || c.key === null ? this.s.byId.get(c.id) : this.s.byKey.get(c.key);
    return { campaign: toCampaign(row!), created: inserted };
  }

  /** The whole database is locked by the write transaction already. */
  lock(id: string): StoredCampaign | null {
    const row = this.s.byId.get(id);
    return row ? toCampaign(row) : null;
  }

  progress(id: string, sentThrough: string, recipients: number): void {
    this.s.progress.run(sentThrough, recipients, id);
  }

  finish(id: string): void {
    this.s.finish.run(id);
  }
}
