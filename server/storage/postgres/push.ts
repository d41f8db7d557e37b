import type { ConversationType, PushCategory } from "../../../shared/protocol/index.js";
import { activeMember } from "../membership-sql.js";
import { type CampaignRow, parseSubscription, toCampaign, toPushCategory } from "../rows.js";
import type {
  MemberPair,
  NewCampaign,
  PushConversation,
  PushConversationOf,
  PushNoticeRecord,
  PushPreferences,
  PushReceiptEvent,
  PushReceiptResult,
  PushTarget,
  StoredCampaign,
  StoredPushSubscription,
  VapidKeys,
} from "../push-types.js";
import type { CampaignRepo, FollowRecord, FollowRepo, PushRepo } from "../tx.js";
import { type Db, prepared } from "./db.js";

interface TargetRow {
  id: string;
  push: string | null;
  last_seen: number;
  signed_in: boolean;
}

interface ConversationRow {
  type: string;
  title: string | null;
  item_title: string | null;
  muted: boolean;
  read_seq: number;
}

const toTarget = (r: TargetRow): PushTarget => ({ deviceId: r.id, subscription: parseSubscription(r.push), lastSeen: r.last_seen, signedIn: r.signed_in });

const toConversation = (row: ConversationRow): PushConversation => ({
  type: row.type as ConversationType,
  title: row.title,
  itemTitle: row.item_title,
  muted: row.muted,
  readSeq: row.read_seq,
});

/** Whether the device's session is still valid at `now` ($1). */
const SIGNED_IN = `EXISTS (SELECT 1 FROM sessions s WHERE s.id = d.session_id AND s.user_id = d.user_id AND s.expires_at > $1) AS signed_in`;

/**
 * Web Push state: the VAPID key pair, preferences and quotas, issued
 * notification ids (for receipts), and the push side of devices.
 */
export class PgPush implements PushRepo {
  constructor(private readonly db: Db) {}

  /** The first process to store a pair wins; everyone else reads it back. */
  async vapidKeys(candidate: VapidKeys, at: number): Promise<VapidKeys> {
    const inserted = await this.db.query<{ public_key: string; private_key: string }>(
      `INSERT INTO push_vapid (id, public_key, private_key, at) VALUES (1, $1, $2, $3)
       ON CONFLICT (id) DO NOTHING RETURNING public_key, private_key`,
      [candidate.publicKey, candidate.privateKey, at],
    );
    const row =
      inserted.rows[0] ??
      (await this.db.query<{ public_key: string; private_key: string }>(`SELECT public_key, private_key FROM push_vapid WHERE id = 1`))
        .rows[0]!;
    return { publicKey: row.public_key, privateKey: row.private_key };
  }

  async targets(userId: string, now: number): Promise<PushTarget[]> {
    const { rows } = await this.db.query<TargetRow>(
      prepared(`SELECT d.id, d.push, d.last_seen, ${SIGNED_IN} FROM devices d WHERE d.user_id = $2 ORDER BY d.last_seen DESC`),
      [now, userId],
    );
    return rows.map(toTarget);
  }

  async targetsOf(userIds: readonly string[], now: number): Promise<Map<string, PushTarget[]>> {
    const out = new Map<string, PushTarget[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return out;
    const { rows } = await this.db.query<TargetRow & { user_id: string }>(
      prepared(`SELECT d.user_id, d.id, d.push, d.last_seen, ${SIGNED_IN}
       FROM devices d WHERE d.user_id = ANY($2::text[]) ORDER BY d.user_id, d.last_seen DESC`),
      [now, userIds],
    );
    for (const r of rows) out.get(r.user_id)?.push(toTarget(r));
    return out;
  }

  async subscription(deviceId: string): Promise<StoredPushSubscription | null> {
    const { rows } = await this.db.query<{ push: string | null }>(`SELECT push FROM devices WHERE id = $1`, [deviceId]);
    return parseSubscription(rows[0]?.push ?? null);
  }

  async drop(deviceId: string, endpoint: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE devices SET push = NULL, push_endpoint = NULL WHERE id = $1 AND push_endpoint = $2`, [
      deviceId,
      endpoint,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async releaseEndpoint(endpoint: string, exceptDeviceId: string): Promise<number> {
    const { rowCount } = await this.db.query(`UPDATE devices SET push = NULL, push_endpoint = NULL WHERE push_endpoint = $1 AND id <> $2`, [
      endpoint,
      exceptDeviceId,
    ]);
    return rowCount ?? 0;
  }

  async conversation(userId: string, conversationId: string): Promise<PushConversation | null> {
    const { rows } = await this.db.query<ConversationRow>(
      prepared(`SELECT c.type, c.title, i.title AS item_title, m.muted, m.read_seq
       FROM conversations c
       JOIN members m ON m.conversation_id = c.id AND m.user_id = $1 AND ${activeMember("m")}
       LEFT JOIN items i ON i.id = c.item_id
       WHERE c.id = $2`),
      [userId, conversationId],
    );
    return rows[0] ? toConversation(rows[0]) : null;
  }

  async conversationsOf(pairs: readonly MemberPair[]): Promise<PushConversationOf[]> {
    if (pairs.length === 0) return [];
    const { rows } = await this.db.query<ConversationRow & { user_id: string; conversation_id: string }>(
      prepared(`SELECT m.user_id, m.conversation_id, c.type, c.title, i.title AS item_title, m.muted, m.read_seq
       FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS u(user_id, conversation_id)) p
       JOIN members m ON m.conversation_id = p.conversation_id AND m.user_id = p.user_id AND ${activeMember("m")}
       JOIN conversations c ON c.id = m.conversation_id
       LEFT JOIN items i ON i.id = c.item_id`),
      [pairs.map((p) => p.userId), pairs.map((p) => p.conversationId)],
    );
    return rows.map((r) => ({ userId: r.user_id, conversationId: r.conversation_id, ...toConversation(r) }));
  }

  async preferences(userId: string): Promise<PushPreferences> {
    const { rows } = await this.db.query<{ hide_previews: boolean }>(`SELECT hide_previews FROM push_preferences WHERE user_id = $1`, [userId]);
    return { hidePreviews: rows[0]?.hide_previews === true };
  }

  async setPreferences(userId: string, prefs: PushPreferences, at: number): Promise<void> {
    await this.db.query(
      `INSERT INTO push_preferences (user_id, hide_previews, at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET hide_previews = excluded.hide_previews, at = excluded.at`,
      [userId, prefs.hidePreviews, at],
    );
  }

  /** The row lock of ON CONFLICT DO UPDATE makes take-if-below-limit atomic across processes. */
  async takeQuota(userId: string, cat: PushCategory, day: string, limit: number): Promise<boolean> {
    if (limit <= 0) return false;
    const { rows } = await this.db.query<{ used: number }>(
      `INSERT INTO push_quota (user_id, category, day, used) VALUES ($1, $2, $3, 1)
       ON CONFLICT (user_id, category, day) DO UPDATE SET used = push_quota.used + 1 WHERE push_quota.used < $4
       RETURNING used`,
      [userId, cat, day, limit],
    );
    return rows.length > 0;
  }

  async recordNotice(n: PushNoticeRecord): Promise<void> {
    await this.db.query(`INSERT INTO push_notices (id, user_id, category, at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`, [
      n.id,
      n.userId,
      n.category,
      n.at,
    ]);
  }

  async receipt(id: string, event: PushReceiptEvent, since: number): Promise<PushReceiptResult> {
    // The column name comes from this closed set, never from the request.
    const column = event === "displayed" ? "displayed" : "clicked";
    const counted = await this.db.query<{ category: string }>(
      `UPDATE push_notices SET ${column} = true WHERE id = $1 AND at >= $2 AND NOT ${column} RETURNING category`,
      [id, since],
    );
    const row = counted.rows[0];
    if (row) return { status: "counted", category: toPushCategory(row.category) };
    const known = await this.db.query(`SELECT 1 FROM push_notices WHERE id = $1 AND at >= $2`, [id, since]);
    return { status: known.rows.length > 0 ? "repeat" : "unknown" };
  }

  async prune(noticesBefore: number, quotaDaysBefore: string): Promise<void> {
    await this.db.query(
      `WITH notices AS (DELETE FROM push_notices WHERE at < $1)
       DELETE FROM push_quota WHERE day < $2`,
      [noticesBefore, quotaDaysBefore],
    );
  }
}

export class PgFollows implements FollowRepo {
  constructor(private readonly db: Db) {}

  async follows(followerId: string, followeeId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ active: boolean }>(`SELECT active FROM follows WHERE follower_id = $1 AND followee_id = $2`, [
      followerId,
      followeeId,
    ]);
    return rows[0]?.active === true;
  }

  async lock(followerId: string, followeeId: string): Promise<FollowRecord | null> {
    const { rows } = await this.db.query<{ active: boolean; noticed_at: number | null }>(
      `SELECT active, noticed_at FROM follows WHERE follower_id = $1 AND followee_id = $2${this.db.forUpdate}`,
      [followerId, followeeId],
    );
    const row = rows[0];
    return row ? { active: row.active, noticedAt: row.noticed_at } : null;
  }

  async insert(followerId: string, followeeId: string, at: number, noticedAt: number | null): Promise<void> {
    await this.db.query(`INSERT INTO follows (follower_id, followee_id, active, at, noticed_at) VALUES ($1, $2, true, $3, $4)`, [
      followerId,
      followeeId,
      at,
      noticedAt,
    ]);
  }

  async reactivate(followerId: string, followeeId: string, at: number, noticedAt: number | null): Promise<void> {
    await this.db.query(
      `UPDATE follows SET active = true, at = $3, noticed_at = coalesce($4, noticed_at) WHERE follower_id = $1 AND followee_id = $2`,
      [followerId, followeeId, at, noticedAt],
    );
  }

  async deactivate(followerId: string, followeeId: string, at: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE follows SET active = false, at = $3 WHERE follower_id = $1 AND followee_id = $2 AND active`,
      [followerId, followeeId, at],
    );
    return (rowCount ?? 0) > 0;
  }
}

const CAMPAIGN_COLUMNS = `id, idempotency_key, fingerprint, title, body, url, sent_through, recipients, done, created_at`;

/**
 * Campaigns and how far each has gone out (`sent_through`, the last user id
 * reached in id order, moves in the transaction that appends their entries).
 */
export class PgCampaigns implements CampaignRepo {
  constructor(private readonly db: Db) {}

  /**
   * A concurrent open with the same key waits on the key's index entry, then
   * does nothing; the SELECT that follows (a new snapshot, READ COMMITTED)
   * sees the campaign the other one committed.
   */
  async open(c: NewCampaign, at: number): Promise<{ campaign: StoredCampaign; created: boolean }> {
    const inserted = await this.db.query<CampaignRow>(
      `INSERT INTO campaigns (id, idempotency_key, fingerprint, title, body, url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${CAMPAIGN_COLUMNS}`,
      [c.id, c.key, c.fingerprint, c.title, c.body, c.url ?? null, at],
    );
    if (inserted.rows[0]) return { campaign: toCampaign(inserted.rows[0]), created: true };
    const { rows } = await this.db.query<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE idempotency_key = $1`, [c.key]);
    if (!rows[0]) throw new Error(`Campaign key conflict without a campaign under it.`);
    return { campaign: toCampaign(rows[0]), created: false };
  }

  async lock(id: string): Promise<StoredCampaign | null> {
    const { rows } = await this.db.query<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1${this.db.forUpdate}`, [id]);
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  async progress(id: string, sentThrough: string, recipients: number): Promise<void> {
    await this.db.query(`UPDATE campaigns SET sent_through = $2, recipients = recipients + $3 WHERE id = $1`, [id, sentThrough, recipients]);
  }

  async finish(id: string): Promise<void> {
    await this.db.query(`UPDATE campaigns SET done = true WHERE id = $1`, [id]);
  }
}
