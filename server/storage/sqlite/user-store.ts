import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { CourierError, type User } from "../../../shared/protocol/index.js";
import type { NewSession, NewUser, SessionInfo, StoredUser } from "../storage.js";
import { toUser, type UserRow } from "./rows.js";

/** Users and their sessions (only token hashes are stored). */
export class UserStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insertUser: db.prepare(`INSERT INTO users (id, username, display_name, password_hash, at) VALUES (?, ?, ?, ?, ?)`),
      byUsername: db.prepare<[string], UserRow>(`SELECT * FROM users WHERE username = ?`),
      byId: db.prepare<[string], UserRow>(`SELECT * FROM users WHERE id = ?`),
      search: db.prepare<[string, string, string, string, string, number], UserRow>(
        `SELECT * FROM users
         WHERE id != ? AND (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')
         ORDER BY (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\') DESC, username LIMIT ?`,
      ),
      insertSession: db.prepare(`INSERT INTO sessions (id, token_hash, user_id, device_id, at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
      session: db.prepare<[string, number], UserRow & { session_id: string; expires_at: number }>(
        `SELECT u.*, s.id AS session_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.expires_at > ?`,
      ),
      deleteSession: db.prepare(`DELETE FROM sessions WHERE id = ?`),
      purgeExpired: db.prepare(`DELETE FROM sessions WHERE expires_at <= ?`),
    };
  }

  createUser(u: NewUser): User {
    if (this.s.byUsername.get(u.username)) throw CourierError.conflict("That username is taken.");
    const id = randomUUID();
    this.s.insertUser.run(id, u.username, u.displayName, u.passwordHash, u.at);
    return { id, username: u.username, displayName: u.displayName };
  }

  findByUsername(username: string): StoredUser | null {
    const row = this.s.byUsername.get(username);
    return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
  }

  get(id: string): User | null {
    const row = this.s.byId.get(id);
    return row ? toUser(row) : null;
  }

  search(q: string, excludeId: string, limit: number): User[] {
    // Anywhere in the name, prefix matches first; LIKE wildcards typed by the user are matched literally.
    const literal = q.replace(/[\\%_]/g, (c) => `\\${c}`);
    const anywhere = `%${literal}%`;
    const prefix = `${literal}%`;
    return this.s.search.all(excludeId, anywhere, anywhere, prefix, prefix, limit).map(toUser);
  }

  createSession(s: NewSession): string {
    const id = randomUUID();
    this.s.insertSession.run(id, s.tokenHash, s.userId, s.deviceId, s.at, s.expiresAt);
    // Cheap housekeeping on a rare event keeps the table from growing forever.
    this.s.purgeExpired.run(s.at);
    return id;
  }

  findSession(tokenHash: string, now: number): SessionInfo | null {
    const row = this.s.session.get(tokenHash, now);
    return row ? { sessionId: row.session_id, user: toUser(row), expiresAt: row.expires_at } : null;
  }

  deleteSession(id: string): void {
    this.s.deleteSession.run(id);
  }
}
