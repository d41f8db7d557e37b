import { BLOCKED_MESSAGE, BLOCKED_START_MESSAGE, CourierError, type User } from "../../shared/protocol/index.js";
import type { ConversationRecord, Repos } from "../storage/storage.js";

/**
 * Blocking (issue 14, docs/marketplace.md "Safety"). A block is one row
 * (blocker, blocked); either way round it stops the two of them messaging
 * in a direct or item chat, and opening a new one. Groups go on: there the
 * blocker's own devices hide the blocked person's messages, from the list of
 * ids every change appends to the blocker's system domain (`blocks`, the
 * whole list, so a device replaces its copy).
 */

/** Blocks `blockedId` (an existing user other than the blocker); `created` false when already blocked (nothing appended). */
export async function block(r: Repos, blockerId: string, blockedId: string, at: number): Promise<{ user: User; created: boolean }> {
  if (blockerId === blockedId) throw CourierError.badRequest("You can't block yourself.", "block_self");
  // The blocker's row first (storage/tx.ts's lock order): one person's block changes take turns, so each entry lists what was stored.
  await r.users.lock(blockerId);
  const user = await r.users.get(blockedId);
  if (!user) throw CourierError.notFound("No such user.", "user_not_found");
  const created = await r.safety.block(blockerId, blockedId, at);
  if (created) await announceBlocks(r, blockerId, at);
  return { user, created };
}

/** Unblocks; nothing appended when there was no block. */
export async function unblock(r: Repos, blockerId: string, blockedId: string, at: number): Promise<void> {
  await r.users.lock(blockerId);
  if (await r.safety.unblock(blockerId, blockedId)) await announceBlocks(r, blockerId, at);
}

/** The people `userId` blocks, oldest block first (a user since gone is left out). */
export async function blockedUsers(r: Repos, userId: string): Promise<User[]> {
  const ids = await r.safety.blockedBy(userId);
  const byId = new Map((await r.users.getMany(ids)).map((u) => [u.id, u]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

async function announceBlocks(r: Repos, userId: string, at: number): Promise<void> {
  await r.log.append([{ userId, d: "system", k: "blocks", data: { userIds: await r.safety.blockedBy(userId) } }], at);
}

/** A send into a direct or item chat whose other member blocks the sender, or is blocked by them: `403`. Groups are not refused. */
export async function assertMaySend(r: Repos, conv: ConversationRecord, senderId: string): Promise<void> {
  if (conv.type === "group") return;
  const other = (await r.conversations.members(conv.id)).find((m) => m.userId !== senderId);
  if (other && (await r.safety.eitherWay(senderId, other.userId))) throw CourierError.forbidden(BLOCKED_MESSAGE, "blocked");
}

/** Opening a new direct or item chat with someone either of the two blocks: `403`. */
export async function assertMayStart(r: Repos, userId: string, peerId: string): Promise<void> {
  if (await r.safety.eitherWay(userId, peerId)) throw CourierError.forbidden(BLOCKED_START_MESSAGE, "blocked_start");
}
