import type Database from "better-sqlite3";
import type { ConversationType, PushCategory } from "../../../shared/protocol/index.js";
import { activeMember } from "../membership-sql.js";
import { parseSubscription, toPushCategory } from "../rows.js";
import type {
  MemberPair,
  PushConversation,
  PushConversationOf,
  PushNoticeRecord,
  PushPreferences,
  PushReceiptEvent,
  PushReceiptResult,
  PushTarget,
  StoredPushSubscription,
  VapidKeys,
} from "../push-types.js";
import type { PushRepo } from "../tx.js";

interface TargetRow {
  id: string;
  push: string | null;
  last_seen: number;
  signed_in: number;
}

/**
 * Web Push state: the VAPID key pair, per-user preferences and quotas,
 * issued notification ids (for receipts), and the push side of devices
 * (their `push` column holds the subscription JSON).
 */
export class PushStore implements PushRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insertVapid: db.prepare(`INSERT OR IGNORE INTO push_vapid (id, public_key, private_key, at) VALUES (1, ?, ?, ?)`),
      vapid: db.prepare<[], { public_key: string; private_key: string }>(`SELECT public_key, private_key FROM push_vapid WHERE id = 1`),
      targets: db.prepare<[number, string], TargetRow>(
        `SELECT d.id, d.push, d.last_seen,
                EXISTS (SELECT 1 FROM sessions s WHERE s.id = d.session_id AND s.user_id = d.user_id AND s.expires_at > ?) AS signed_in
         FROM devices d WHERE d.user_id = ? ORDER BY d.last_seen DESC`,
      ),
      subscription: db.prepare<[string], { push: string | null }>(`SELECT push FROM devices WHERE id = ?`),
      dropSubscription: db.prepare(`UPDATE devices SET push = NULL WHERE id = ? AND json_extract(push, '$.endpoint') = ?`),
      releaseEndpoint: db.prepare(`UPDATE devices SET push = NULL WHERE json_extract(push, '$.endpoint') = ? AND id != ?`),
      conversation: db.prepare<
        [string, string],
        { type: string; title: string | null; item_title: string | null; muted: number; read_seq: number }
      >(
        `SELECT c.type, c.title, i.title AS item_title, m.muted, m.read_seq
         FROM conversations c
         JOIN members m ON m.conversation_id = c.id AND m.user_id = ? AND ${activeMember("m")}
         LEFT JOIN items i ON i.id = c.item_id
         WHERE c.id = ?`,
      ),
      preferences: db.prepare<[string], { hide_previews: number }>(`SELECT hide_previews FROM push_preferences WHERE user_id = ?`),
      setPreferences: db.prepare(
        `INSERT INTO push_preferences (user_id, hide_previews, at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET hide_previews = excluded.hide_previews, at = excluded.at`,
      ),
      takeQuota: db.prepare<[string, string, string, number], { used: number }>(
        `INSERT INTO push_quota (user_id, category, day, used) VALUES (?, ?, ?, 1)
         ON CONFLICT (user_id, category, day) DO UPDATE SET used = used + 1 WHERE used < ?
         RETURNING used`,
      ),
      insertNotice: db.prepare(`INSERT OR IGNORE INTO push_notices (id, user_id, category, at) VALUES (?, ?, ?, ?)`),
      displayed: db.prepare<[string, number], { category: string }>(
        `UPDATE push_notices SET displayed = 1 WHERE id = ? AND at >= ? AND displayed = 0 RETURNING category`,
      ),
      clicked: db.prepare<[string, number], { category: string }>(
        `UPDATE push_notices SET clicked = 1 WHERE id = ? AND at >= ? AND clicked = 0 RETURNING category`,
      ),
      notice: db.prepare<[string, number], { id: string }>(`SELECT id FROM push_notices WHERE id = ? AND at >= ?`),
      pruneNotices: db.prepare(`DELETE FROM push_notices WHERE at < ?`),
      pruneQuota: db.prepare(`DELETE FROM push_quota WHERE day < ?`),
    };
  }

  /** The stored pair, or `candidate` stored now if there is none (the first process to start wins). */
  vapidKeys(candidate: VapidKeys, at: number): VapidKeys {
    this.s.insertVapid.run(candidate.publicKey, candidate.privateKey, at);
    const row = this.s.vapid.get()!;
    return { publicKey: row.public_key, privateKey: row.private_key };
  }

  targets(userId: string, now: number): PushTarget[] {
    return this.s.targets.all(now, userId).map((r) => ({
      deviceId: r.id,
      subscription: parseSubscription(r.push),
      lastSeen: r.last_seen,
      signedIn: r.signed_in === 1,
    }));
  }

  /**
   * The batched reads (issue 16) run the single statement once per user or
   * pair, in the caller's one read: in process (no round trip) a prepared
   * lookup costs 2–3 µs, less than one statement over a JSON array of them
   * (measured: docs/benchmarks.md, "Push routing: one read per fan-out").
   */
  targetsOf(userIds: readonly string[], now: number): Map<string, PushTarget[]> {
    const out = new Map<string, PushTarget[]>();
    for (const id of userIds) if (!out.has(id)) out.set(id, this.targets(id, now));
    return out;
  }

  subscription(deviceId: string): StoredPushSubscription | null {
    return parseSubscription(this.s.subscription.get(deviceId)?.push ?? null);
  }

  drop(deviceId: string, endpoint: string): boolean {
    return this.s.dropSubscription.run(deviceId, endpoint).changes > 0;
  }

  releaseEndpoint(endpoint: string, exceptDeviceId: string): number {
    return this.s.releaseEndpoint.run(endpoint, exceptDeviceId).changes;
  }

  conversation(userId: string, conversationId: string): PushConversation | null {
    const row = this.s.conversation.get(userId, conversationId);
    if (!row) return null;
    return {
      type: row.type as ConversationType,
      title: row.title,
      itemTitle: row.item_title,
      muted: row.muted === 1,
      readSeq: row.read_seq,
    };
  }

  conversationsOf(pairs: readonly MemberPair[]): PushConversationOf[] {
    const out: PushConversationOf[] = [];
    const seen = new Set<string>();
    for (const { userId, conversationId } of pairs) {
      const key = `${userId}\u0000${conversationId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const conv = this.conversation(userId, conversationId);
      if (conv) out.push({ userId, conversationId, ...conv });
    }
    return out;
  }

  preferences(userId: string): PushPreferences {
    return { hidePreviews: this.s.preferences.get(userId)?.hide_previews === 1 };
  }

  setPreferences(userId: string, prefs: PushPreferences, at: number): void {
    this.s.setPreferences.run(userId, prefs.hidePreviews ? 1 : 0, at);
  }

  /** One unit of the (user, category, day) quota, if any is left. */
  takeQuota(userId: string, cat: PushCategory, day: string, limit: number): boolean {
    if (limit <= 0) return false;
    return this.s.takeQuota.get(userId, cat, day, limit) !== undefined;
  }

  recordNotice(n: PushNoticeRecord): void {
    this.s.insertNotice.run(n.id, n.userId, n.category, n.at);
  }

  receipt(id: string, event: PushReceiptEvent, since: number): PushReceiptResult {
    const row = (event === "displayed" ? this.s.displayed : this.s.clicked).get(id, since);
    if (row) return { status: "counted", category: toPushCategory(row.category) };
    return { status: this.s.notice.get(id, since) ? "repeat" : "unknown" };
  }

  prune(noticesBefore: number, quotaDaysBefore: string): void {
    this.s.pruneNotices.run(noticesBefore);
    this.s.pruneQuota.run(quotaDaysBefore);
  }
}
