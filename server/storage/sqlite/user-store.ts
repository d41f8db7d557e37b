import type Database from "better-sqlite3";
import type { User } from "../../../shared/protocol/index.js";
import type { NewSession, NewUser, SessionInfo, SessionRepo, StoredUser, UserPresence, UserRepo } from "../tx.js";
import { activeMember } from "../membership-sql.js";
import { toUser, type UserRow } from "../rows.js";

/** Users (only password hashes are stored). */
export class UserStore implements UserRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(`INSERT INTO users (id, username, display_name, password_hash, at) VALUES (?, ?, ?, ?, ?)`),
      byUsername: db.prepare<[string], UserRow & { password_hash: string }>(`SELECT * FROM users WHERE username = ?`),
      byId: db.prepare<[string], UserRow>(`SELECT * FROM users WHERE id = ?`),
      byIds: db.prepare<[string], UserRow>(`SELECT * FROM users WHERE id IN (SELECT value FROM json_each(?))`),
      search: db.prepare<[string, string, string, string, string, number], UserRow>(
        `SELECT * FROM users
         WHERE id != ? AND (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')
         ORDER BY (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\') DESC, username LIMIT +?`,
      ),
      idsAfter: db.prepare<[string, number, number], { id: string }>(`SELECT id FROM users WHERE id > ? AND at <= ? ORDER BY id LIMIT +?`),
      presence: db.prepare<[string], { last_seen_at: number | null; show_online: number }>(`SELECT last_seen_at, show_online FROM users WHERE id = ?`),
      seen: db.prepare(`UPDATE users SET last_seen_at = max(coalesce(last_seen_at, 0), ?) WHERE id = ?`),
      showOnline: db.prepare(`UPDATE users SET show_online = ? WHERE id = ?`),
      displayName: db.prepare(`UPDATE users SET display_name = ? WHERE id = ?`),
      passwordHash: db.prepare(`UPDATE users SET password_hash = ? WHERE id = ?`),
      // members_user finds a's conversations; the primary key answers b's row in each.
      share: db.prepare<[string, string], { one: number }>(
        `SELECT 1 AS one FROM members a JOIN members b ON b.conversation_id = a.conversation_id AND b.user_id = ?
         JOIN conversations c ON c.id = a.conversation_id
         WHERE a.user_id = ? AND ${activeMember("a")} AND ${activeMember("b")} AND (c.type = 'group' OR c.last_seq > 0) LIMIT 1`,
      ),
    };
  }

  insert(u: NewUser & { id: string }): void {
    this.s.insert.run(u.id, u.username, u.displayName, u.passwordHash, u.at);
  }

  byUsername(username: string): StoredUser | null {
    const row = this.s.byUsername.get(username);
    return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
  }

  get(id: string): User | null {
    const row = this.s.byId.get(id);
    return row ? toUser(row) : null;
  }

  /** The whole database is locked by the write transaction already. */
  lock(id: string): User | null {
    return this.get(id);
  }

  getMany(ids: readonly string[]): User[] {
    return this.s.byIds.all(JSON.stringify(ids)).map(toUser);
  }

  search(q: string, excludeId: string, limit: number): User[] {
    // Anywhere in the name, prefix matches first; LIKE wildcards typed by the user are matched literally.
    const literal = q.replace(/[\\%_]/g, (c) => `\\${c}`);
    const anywhere = `%${literal}%`;
    const prefix = `${literal}%`;
    return this.s.search.all(excludeId, anywhere, anywhere, prefix, prefix, limit).map(toUser);
  }

  idsAfter(afterId: string, createdBy: number, limit: number): string[] {
    return this.s.idsAfter.all(afterId, createdBy, limit).map((r) => r.id);
  }

  presence(id: string): UserPresence | null {
    const row = this.s.presence.get(id);
    return row ? { lastSeenAt: row.last_seen_at, showOnline: row.show_online === 1 } : null;
  }

  seen(id: string, at: number): void {
    this.s.seen.run(at, id);
  }

  setShowOnline(id: string, show: boolean): void {
    this.s.showOnline.run(show ? 1 : 0, id);
  }

  setDisplayName(id: string, displayName: string): void {
    this.s.displayName.run(displayName, id);
  }

  setPasswordHash(id: string, passwordHash: string): void {
    this.s.passwordHash.run(passwordHash, id);
  }

  shareConversation(a: string, b: string): boolean {
    return this.s.share.get(b, a) !== undefined;
  }
}

/** Sessions: only token hashes are stored. */
export class SessionStore implements SessionRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(`INSERT INTO sessions (id, token_hash, user_id, device_id, at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
      find: db.prepare<[string, number], UserRow & { session_id: string; expires_at: number }>(
        `SELECT u.*, s.id AS session_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.expires_at > ?`,
      ),
      delete: db.prepare(`DELETE FROM sessions WHERE id = ?`),
      deleteExpired: db.prepare(`DELETE FROM sessions WHERE expires_at <= ?`),
      deleteExpiredRevoked: db.prepare(`DELETE FROM revoked_sessions WHERE expires_at <= ?`),
      markRevoked: db.prepare(
        `INSERT INTO revoked_sessions (token_hash, user_id, command_id, expires_at)
         SELECT token_hash, user_id, ?, expires_at FROM sessions WHERE id IN (SELECT value FROM json_each(?))
         ON CONFLICT (token_hash) DO NOTHING`,
      ),
      revokedBy: db.prepare<[string, number], { command_id: string }>(`SELECT command_id FROM revoked_sessions WHERE token_hash = ? AND expires_at > ?`),
      bindDevice: db.prepare(`UPDATE sessions SET device_id = ? WHERE id = ?`),
      ofDevice: db.prepare<[string, string], { id: string }>(`SELECT id FROM sessions WHERE device_id = ? AND user_id = ?`),
      deleteOfDevice: db.prepare(`DELETE FROM sessions WHERE device_id = ? AND user_id = ?`),
      ofUser: db.prepare<[string], { id: string }>(`SELECT id FROM sessions WHERE user_id = ?`),
      deleteOfUser: db.prepare(`DELETE FROM sessions WHERE user_id = ?`),
      liveAmong: db.prepare<[string, number], { id: string }>(`SELECT id FROM sessions WHERE id IN (SELECT value FROM json_each(?)) AND expires_at > ?`),
    };
  }

  insert(s: NewSession & { id: string }): void {
    this.s.insert.run(s.id, s.tokenHash, s.userId, s.deviceId, s.at, s.expiresAt);
  }

  find(tokenHash: string, now: number): SessionInfo | null {
    const row = this.s.find.get(tokenHash, now);
    return row ? { sessionId: row.session_id, user: toUser(row), expiresAt: row.expires_at } : null;
  }

  delete(sessionId: string): void {
    this.s.delete.run(sessionId);
  }

  deleteExpired(now: number): void {
    this.s.deleteExpired.run(now);
    this.s.deleteExpiredRevoked.run(now);
  }

  bindDevice(sessionId: string, deviceId: string): void {
    this.s.bindDevice.run(deviceId, sessionId);
  }

  ofDevice(userId: string, deviceId: string): string[] {
    return this.s.ofDevice.all(deviceId, userId).map((r) => r.id);
  }

  deleteOfDevice(userId: string, deviceId: string): void {
    this.s.deleteOfDevice.run(deviceId, userId);
  }

  ofUser(userId: string): string[] {
    return this.s.ofUser.all(userId).map((r) => r.id);
  }

  deleteOfUser(userId: string): void {
    this.s.deleteOfUser.run(userId);
  }

  liveAmong(ids: readonly string[], now: number): string[] {
    return this.s.liveAmong.all(JSON.stringify(ids), now).map((r) => r.id);
  }

  markRevoked(ids: readonly string[], commandId: string): void {
    if (ids.length > 0) this.s.markRevoked.run(commandId, JSON.stringify(ids));
  }

  revokedBy(tokenHash: string, now: number): string | null {
    return this.s.revokedBy.get(tokenHash, now)?.command_id ?? null;
  }
}
