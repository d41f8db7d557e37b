import type Database from "better-sqlite3";
import type { FollowRecord, FollowRepo } from "../tx.js";

/** Who follows whom; an ended follow keeps its row (inactive). */
export class FollowStore implements FollowRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string, string], { active: number; noticed_at: number | null }>(
        `SELECT active, noticed_at FROM follows WHERE follower_id = ? AND followee_id = ?`,
      ),
      insert: db.prepare(`INSERT INTO follows (follower_id, followee_id, active, at, noticed_at) VALUES (?, ?, 1, ?, ?)`),
      reactivate: db.prepare(
        `UPDATE follows SET active = 1, at = ?, noticed_at = coalesce(?, noticed_at) WHERE follower_id = ? AND followee_id = ?`,
      ),
      deactivate: db.prepare(`UPDATE follows SET active = 0, at = ? WHERE follower_id = ? AND followee_id = ? AND active = 1`),
    };
  }

  follows(followerId: string, followeeId: string): boolean {
    return this.s.get.get(followerId, followeeId)?.active === 1;
  }

  /** The whole database is locked by the write transaction already. */
  lock(followerId: string, followeeId: string): FollowRecord | null {
    const row = this.s.get.get(followerId, followeeId);
    return row ? { active: row.active === 1, noticedAt: row.noticed_at } : null;
  }

  insert(followerId: string, followeeId: string, at: number, noticedAt: number | null): void {
    this.s.insert.run(followerId, followeeId, at, noticedAt);
  }

  reactivate(followerId: string, followeeId: string, at: number, noticedAt: number | null): void {
    this.s.reactivate.run(at, noticedAt, followerId, followeeId);
  }

  deactivate(followerId: string, followeeId: string, at: number): boolean {
    return this.s.deactivate.run(at, followerId, followeeId).changes > 0;
  }
}
