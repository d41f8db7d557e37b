import { DOMAINS, type User } from "../../../shared/protocol/index.js";
import { toUser, type UserRow } from "../rows.js";
import type { NewSession, NewUser, SessionInfo, SessionRepo, StoredUser, UserPresence, UserRepo } from "../tx.js";
import { activeMember } from "../membership-sql.js";
import { type Db, first, prepared } from "./db.js";

/** `\`, `%` and `_` typed by the user match literally (the pattern's escape character is `\`). */
function likeLiteral(q: string): string {
  return q.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class PgUsers implements UserRepo {
  constructor(private readonly db: Db) {}

  /**
   * The user, and their heads at 0 in every domain: appends then only ever
   * update a heads row, and the row exists to lock from the first append on.
   */
  async insert(u: NewUser & { id: string }): Promise<void> {
    await this.db.query(
      `WITH u AS (
         INSERT INTO users (id, username, display_name, password_hash, at) VALUES ($1, $2, $3, $4, $5) RETURNING id
       )
       INSERT INTO heads (user_id, domain, head) SELECT u.id, d, 0 FROM u, unnest($6::text[]) AS d
       ON CONFLICT (user_id, domain) DO NOTHING`,
      [u.id, u.username, u.displayName, u.passwordHash, u.at, DOMAINS],
    );
  }

  async byUsername(username: string): Promise<StoredUser | null> {
    const { rows } = await this.db.query<UserRow & { password_hash: string }>(`SELECT id, username, display_name, password_hash FROM users WHERE username = $1`, [
      username,
    ]);
    const row = rows[0];
    return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
  }

  get(id: string, lock = ""): Promise<User | null> {
    return first(this.db, `SELECT id, username, display_name FROM users WHERE id = $1${lock}`, [id], toUser);
  }

  lock(id: string): Promise<User | null> {
    return this.get(id, this.db.forUpdate);
  }

  async getMany(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<UserRow>(`SELECT id, username, display_name FROM users WHERE id = ANY($1::text[])`, [ids]);
    return rows.map(toUser);
  }

  /**
   * Anywhere in the name, prefix matches first, then by username. ILIKE on
   * `COLLATE "C"` columns folds ASCII case only, as SQLite's LIKE does.
   */
  async search(q: string, excludeId: string, limit: number): Promise<User[]> {
    const literal = likeLiteral(q);
    const { rows } = await this.db.query<UserRow>(
      `SELECT id, username, display_name FROM users
       WHERE id <> $1 AND (username ILIKE $2 ESCAPE '\\' OR display_name ILIKE $2 ESCAPE '\\')
       ORDER BY (username ILIKE $3 ESCAPE '\\' OR display_name ILIKE $3 ESCAPE '\\') DESC, username
       LIMIT $4`,
      [excludeId, `%${literal}%`, `${literal}%`, limit],
    );
    return rows.map(toUser);
  }

  async idsAfter(afterId: string, createdBy: number, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM users WHERE id > $1 AND at <= $2 ORDER BY id LIMIT $3`, [
      afterId,
      createdBy,
      limit,
    ]);
    return rows.map((r) => r.id);
  }

  presence(id: string): Promise<UserPresence | null> {
    return first(this.db, `SELECT last_seen_at, show_online FROM users WHERE id = $1`, [id], (r: { last_seen_at: number | string | null; show_online: boolean }) => ({
      lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
      showOnline: r.show_online,
    }));
  }

  async seen(id: string, at: number): Promise<void> {
    await this.db.query(`UPDATE users SET last_seen_at = GREATEST(coalesce(last_seen_at, 0), $2) WHERE id = $1`, [id, at]);
  }

  async setShowOnline(id: string, show: boolean): Promise<void> {
    await this.db.query(`UPDATE users SET show_online = $2 WHERE id = $1`, [id, show]);
  }

  async setDisplayName(id: string, displayName: string): Promise<void> {
    await this.db.query(`UPDATE users SET display_name = $2 WHERE id = $1`, [id, displayName]);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [id, passwordHash]);
  }

  async shareConversation(a: string, b: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `SELECT 1 FROM members a JOIN members b ON b.conversation_id = a.conversation_id AND b.user_id = $2
       JOIN conversations c ON c.id = a.conversation_id
       WHERE a.user_id = $1 AND ${activeMember("a")} AND ${activeMember("b")} AND (c.type = 'group' OR c.last_seq > 0) LIMIT 1`,
      [a, b],
    );
    return rows.length > 0;
  }
}

export class PgSessions implements SessionRepo {
  constructor(private readonly db: Db) {}

  async insert(s: NewSession & { id: string }): Promise<void> {
    await this.db.query(`INSERT INTO sessions (id, token_hash, user_id, device_id, at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
      s.id,
      s.tokenHash,
      s.userId,
      s.deviceId,
      s.at,
      s.expiresAt,
    ]);
  }

  async find(tokenHash: string, now: number): Promise<SessionInfo | null> {
    const { rows } = await this.db.query<UserRow & { session_id: string; expires_at: number }>(
      prepared(`SELECT u.id, u.username, u.display_name, s.id AS session_id, s.expires_at
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.expires_at > $2`),
      [tokenHash, now],
    );
    const row = rows[0];
    return row ? { sessionId: row.session_id, user: toUser(row), expiresAt: row.expires_at } : null;
  }

  async delete(sessionId: string): Promise<void> {
    await this.db.query(`DELETE FROM sessions WHERE id = $1`, [sessionId]);
  }

  async deleteExpired(now: number): Promise<void> {
    await this.db.query(`DELETE FROM sessions WHERE expires_at <= $1`, [now]);
    await this.db.query(`DELETE FROM revoked_sessions WHERE expires_at <= $1`, [now]);
  }

  async bindDevice(sessionId: string, deviceId: string): Promise<void> {
    await this.db.query(`UPDATE sessions SET device_id = $2 WHERE id = $1`, [sessionId, deviceId]);
  }

  async liveAmong(ids: readonly string[], now: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM sessions WHERE id = ANY($1::text[]) AND expires_at > $2`, [ids, now]);
    return rows.map((r) => r.id);
  }

  async ofDevice(userId: string, deviceId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM sessions WHERE device_id = $2 AND user_id = $1`, [
      userId,
      deviceId,
    ]);
    return rows.map((r) => r.id);
  }

  async deleteOfDevice(userId: string, deviceId: string): Promise<void> {
    await this.db.query(`DELETE FROM sessions WHERE device_id = $2 AND user_id = $1`, [userId, deviceId]);
  }

  async ofUser(userId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM sessions WHERE user_id = $1`, [userId]);
    return rows.map((r) => r.id);
  }

  async deleteOfUser(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM sessions WHERE user_id = $1`, [userId]);
  }
  async markRevoked(ids: readonly string[], commandId: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `INSERT INTO revoked_sessions (token_hash, user_id, command_id, expires_at)
       SELECT token_hash, user_id, $2, expires_at FROM sessions WHERE id = ANY($1::text[])
       ON CONFLICT (token_hash) DO NOTHING`,
      [ids, commandId],
    );
  }

  async revokedBy(tokenHash: string, now: number): Promise<string | null> {
    const { rows } = await this.db.query<{ command_id: string }>(
      prepared(`SELECT command_id FROM revoked_sessions WHERE token_hash = $1 AND expires_at > $2`),
      [tokenHash, now],
    );
    return rows[0]?.command_id ?? null;
  }
}
