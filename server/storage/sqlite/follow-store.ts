import type Database from "better-sqlite3";

/** A follow that was ended and started again notifies the followed user at most once per this. */
export const FOLLOW_RENOTIFY_MS = 24 * 60 * 60 * 1000;

/**
 * Who follows whom. Unfollowing keeps the row (inactive) so that
 * follow/unfollow/follow in a loop cannot be used to spam notifications.
 */
export class FollowStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string, string], { active: number; noticed_at: number | null }>(
        `SELECT active, noticed_at FROM follows WHERE follower_id = ? AND followee_id = ?`,
      ),
      upsert: db.prepare(
        `INSERT INTO follows (follower_id, followee_id, active, at, noticed_at) VALUES (?, ?, 1, ?, ?)
         ON CONFLICT (follower_id, followee_id) DO UPDATE SET active = 1, at = excluded.at,
           noticed_at = coalesce(excluded.noticed_at, noticed_at)`,
      ),
      deactivate: db.prepare(`UPDATE follows SET active = 0, at = ? WHERE follower_id = ? AND followee_id = ? AND active = 1`),
    };
  }

  /** Starts following; `notify` says whether the followed user should hear of it. Null if already following. */
  follow(followerId: string, followeeId: string, at: number): { notify: boolean } | null {
    const row = this.s.get.get(followerId, followeeId);
    if (row?.active === 1) return null;
    const notify = !row || row.noticed_at === null || at - row.noticed_at >= FOLLOW_RENOTIFY_MS;
    this.s.upsert.run(followerId, followeeId, at, notify ? at : null);
    return { notify };
  }

  /** True if a follow ended. */
  unfollow(followerId: string, followeeId: string, at: number): boolean {
    return this.s.deactivate.run(at, followerId, followeeId).changes > 0;
  }
}
