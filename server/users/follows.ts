import { CourierError, type User } from "../../shared/protocol/index.js";
import type { Repos } from "../storage/storage.js";

/** A follow that was ended and started again notifies the followed user at most once per this. */
export const FOLLOW_RENOTIFY_MS = 24 * 60 * 60 * 1000;

/**
 * Starts following (idempotent): `created` is false when already following.
 * The followed user hears of it through `notice {type: "follow", user}`,
 * unless they heard of this follower within FOLLOW_RENOTIFY_MS: unfollowing
 * keeps the row (inactive), so follow/unfollow in a loop cannot spam. 404 for
 * an unknown user.
 */
export async function follow(r: Repos, followerId: string, followeeId: string, at: number): Promise<{ created: boolean; followee: User }> {
  const followee = await r.users.get(followeeId);
  if (!followee) throw CourierError.notFound("No such user.", "user_not_found");
  const row = await r.follows.lock(followerId, followeeId);
  if (row?.active) return { created: false, followee };
  const notify = !row || row.noticedAt === null || at - row.noticedAt >= FOLLOW_RENOTIFY_MS;
  const noticedAt = notify ? at : null;
  if (row) await r.follows.reactivate(followerId, followeeId, at, noticedAt);
  else await r.follows.insert(followerId, followeeId, at, noticedAt);
  const follower = await r.users.get(followerId);
  if (notify && follower) await r.log.append([{ userId: followeeId, d: "system", k: "notice", data: { type: "follow", user: follower } }], at);
  return { created: true, followee };
}

/** Stops following (idempotent); false if there was no follow. 404 for an unknown user. */
export async function unfollow(r: Repos, followerId: string, followeeId: string, at: number): Promise<boolean> {
  if (!(await r.users.get(followeeId))) throw CourierError.notFound("No such user.", "user_not_found");
  return r.follows.deactivate(followerId, followeeId, at);
}
