import type Database from "better-sqlite3";
import type { NewCampaign, StoredCampaign } from "../push-types.js";

interface CampaignRow {
  id: string;
  idempotency_key: string | null;
  fingerprint: string;
  title: string;
  body: string;
  url: string | null;
  sent_through: string | null;
  recipients: number;
  done: number;
  created_at: number;
}

function campaign(row: CampaignRow): StoredCampaign {
  return {
    id: row.id,
    key: row.idempotency_key,
    fingerprint: row.fingerprint,
    title: row.title,
    body: row.body,
    ...(row.url !== null ? { url: row.url } : {}),
    sentThrough: row.sent_through,
    recipients: row.recipients,
    done: row.done === 1,
    createdAt: row.created_at,
  };
}

/**
 * Marketing campaigns and how far each has gone out: `sent_through` is the
 * last user id (in id order) whose marketing domain holds the campaign. It
 * moves in the same transaction as the entries it covers, so a campaign that
 * is retried, resumed after a crash, or run by two requests at once reaches
 * every user who had an account when it was created exactly once.
 */
export class CampaignStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO campaigns (id, idempotency_key, fingerprint, title, body, url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (idempotency_key) DO NOTHING`,
      ),
      byId: db.prepare<[string], CampaignRow>(`SELECT * FROM campaigns WHERE id = ?`),
      byKey: db.prepare<[string], CampaignRow>(`SELECT * FROM campaigns WHERE idempotency_key = ?`),
      // The audience is who had an account when the campaign was created: one
      // who signs up meanwhile is not reached or skipped by where their id sorts.
      userIds: db.prepare<[string, number, number], { id: string }>(`SELECT id FROM users WHERE id > ? AND at <= ? ORDER BY id LIMIT ?`),
      progress: db.prepare(`UPDATE campaigns SET sent_through = ?, recipients = recipients + ? WHERE id = ?`),
      finish: db.prepare(`UPDATE campaigns SET done = 1 WHERE id = ?`),
    };
  }

  /** The campaign already stored under `c.key`, or `c` stored now. */
  open(c: NewCampaign, at: number): { campaign: StoredCampaign; created: boolean } {
    const inserted = this.s.insert.run(c.id, c.key, c.fingerprint, c.title, c.body, c.url ?? null, at).changes === 1;
    const row = inserted || c.key === null ? this.s.byId.get(c.id) : this.s.byKey.get(c.key);
    return { campaign: campaign(row!), created: inserted };
  }

  get(id: string): StoredCampaign | null {
    const row = this.s.byId.get(id);
    return row ? campaign(row) : null;
  }

  /**
   * The next `limit` users the campaign has not reached, recorded as reached
   * (the caller appends their entries in the same transaction). Empty when
   * every user has it: the campaign is then marked done.
   */
  nextRecipients(id: string, limit: number): { campaign: StoredCampaign; userIds: string[] } {
    const current = this.get(id);
    if (!current) throw new Error(`campaign ${id} is not stored`);
    if (current.done) return { campaign: current, userIds: [] };
    const userIds = this.s.userIds.all(current.sentThrough ?? "", current.createdAt, limit).map((r) => r.id);
    if (userIds.length === 0) {
      this.s.finish.run(id);
      return { campaign: { ...current, done: true }, userIds };
    }
    const sentThrough = userIds[userIds.length - 1]!;
    this.s.progress.run(sentThrough, userIds.length, id);
    return { campaign: { ...current, sentThrough, recipients: current.recipients + userIds.length }, userIds };
  }
}
