import { randomUUID } from "node:crypto";
import { CourierError, isGoneMembership, managesGroup, outranks, ROLE_RANK, type Summary } from "../../shared/protocol/index.js";
import { postMessage } from "../messages/messages.js";
import type { ConversationRecord, MemberRecord, Repos } from "../storage/storage.js";
import { announceConversation, arrivalState, buildSummary, lockedConversation, mustExist, othersNamed } from "./conversations.js";

/**
 * Groups people can control (docs/groups.md): leave, accept or decline a
 * request, and — for the creator and admins — add, remove and rename. Each
 * change locks the group first (changes to one group take turns), posts a
 * system line where the group should see one, and appends a `conv` entry to
 * every current member and to whoever just went.
 */

interface Locked {
  conv: ConversationRecord;
  /** The caller's row: a member, or someone with a request open. */
  me: MemberRecord;
}

/** The group, locked until the transaction ends (in a read: as it is); unknown → 404, not a group → 400. */
async function lockGroup(r: Repos, userId: string, conversationId: string): Promise<Locked> {
  const { conv, me } = await lockedConversation(r, userId, conversationId);
  if (conv.type !== "group") throw CourierError.badRequest("Only a group's members can change.");
  return { conv, me };
}

/** The group, for its creator or an admin. */
async function manage(r: Repos, userId: string, conversationId: string): Promise<{ conv: ConversationRecord; me: MemberRecord }> {
  const { conv, me } = await lockGroup(r, userId, conversationId);
  if (!managesGroup({ membership: me.state, role: me.role })) {
    throw CourierError.forbidden("Only the group's creator or an admin can do that.", "group_admin_only");
  }
  return { conv, me };
}

async function displayName(r: Repos, userId: string): Promise<string> {
  const user = await r.users.get(userId);
  return user ? user.displayName || user.username : "Someone";
}

/** "Ann", "Ann and Bob", "Ann, Bob and Cy". */
function listNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/** A system line in the group's history, written by `actorId` (the web app shows it as "You …" to them). */
async function line(r: Repos, conv: ConversationRecord, actorId: string, body: string, at: number): Promise<void> {
  await postMessage(r, conv, { senderId: actorId, clientMsgId: `group:${randomUUID()}`, kind: "system", body }, at);
}

/** Announces the group as it now is (re-read: a system line moved its last seq). */
async function announce(r: Repos, conversationId: string, at: number, alsoTo: readonly string[] = []): Promise<void> {
  await announceConversation(r, (await r.conversations.get(conversationId))!, at, alsoTo);
}

/**
 * Adds people (the creator or an admin). Those already in are skipped;
 * someone who declined this group can't be added again (409), and then no
 * one is. Strangers to the adder arrive as requests, and so does someone
 * who left this group (they chose to go: coming back is theirs to accept).
 * Answers the caller's summary and how many joined (the caller gives back
 * the cap tokens of the rest).
 */
export async function addMembers(r: Repos, userId: string, conversationId: string, userIds: readonly string[], at: number) {
  const { conv } = await manage(r, userId, conversationId);
  const named = othersNamed(userId, userIds);
  if (named.length === 0) throw CourierError.badRequest("Name someone other than yourself to add.", "group_add_self");
  await mustExist(r, named);
  const toAdd: { id: string; left: boolean }[] = [];
  for (const id of named) {
    const row = await r.conversations.member(conv.id, id);
    if (row?.state === "declined") throw CourierError.conflict(`${await displayName(r, id)} declined to join this group.`, "group_declined");
    if (!row || isGoneMembership(row.state)) toAdd.push({ id, left: row?.state === "left" });
  }
  for (const { id, left } of toAdd) {
    const state = left ? "request" : await arrivalState(r, userId, id);
    await r.conversations.join(conv.id, { userId: id, role: "member", state, addedBy: userId }, conv.lastSeq, at);
  }
  if (toAdd.length > 0) {
    const names = [];
    for (const { id } of toAdd) names.push(await displayName(r, id));
    await line(r, conv, userId, `${await displayName(r, userId)} added ${listNames(names)}`, at);
    await announce(r, conv.id, at);
  }
  return { summary: await buildSummary(r, userId, conv), added: toAdd.length };
}

/**
 * Whom of `userIds` adding would bring in (not current members, nor with a
 * request open), for the caller's cap: checked like `addMembers` (the
 * creator or an admin; 404, 403 and 400 as it answers), before any
 * membership is read, so the cap tells a stranger nothing about who is in.
 */
export async function newcomers(r: Repos, userId: string, conversationId: string, userIds: readonly string[]): Promise<string[]> {
  const { conv } = await manage(r, userId, conversationId);
  const current = new Set((await r.conversations.members(conv.id)).map((m) => m.userId));
  return othersNamed(userId, userIds).filter((id) => !current.has(id));
}

/** Removes a member of lower rank than the caller (an admin can't remove the creator or another admin). */
export async function removeMember(r: Repos, userId: string, conversationId: string, targetId: string, at: number): Promise<Summary> {
  const { conv, me } = await manage(r, userId, conversationId);
  if (targetId === userId) throw CourierError.badRequest("To leave the group, use leave.");
  const target = await r.conversations.member(conv.id, targetId);
  if (!target || isGoneMembership(target.state)) throw CourierError.notFound("No such member in this group.");
  if (!outranks(me.role, target.role)) throw CourierError.forbidden("Only the group's creator can remove an admin.", "group_creator_only");
  await r.conversations.setState(conv.id, targetId, "removed");
  await line(r, conv, userId, `${await displayName(r, userId)} removed ${await displayName(r, targetId)}`, at);
  await announce(r, conv.id, at, [targetId]);
  return buildSummary(r, userId, conv);
}

/** Renames the group (the creator or an admin); the same name again changes nothing. */
export async function renameGroup(r: Repos, userId: string, conversationId: string, title: string, at: number): Promise<Summary> {
  const { conv } = await manage(r, userId, conversationId);
  if (title !== conv.title) {
    await r.conversations.setTitle(conv.id, title);
    await line(r, conv, userId, `${await displayName(r, userId)} renamed the group to “${title}”`, at);
    await announce(r, conv.id, at);
  }
  return buildSummary(r, userId, (await r.conversations.get(conv.id))!);
}

/** Accepts a request: a member from now on. Accepting again changes nothing. */
export async function acceptRequest(r: Repos, userId: string, conversationId: string, at: number): Promise<Summary> {
  const { conv, me } = await lockGroup(r, userId, conversationId);
  if (me.state === "request") {
    await r.conversations.setState(conv.id, userId, "member");
    await announce(r, conv.id, at);
  }
  return buildSummary(r, userId, conv);
}

/**
 * Leaves the group; from a request, that is declining it (remembered: this
 * group can't add them again). When the last creator or admin leaves, the
 * earliest remaining member becomes admin; when the last member leaves, the
 * group ends: open requests are dropped, and no one can read, write or add.
 */
export async function leaveGroup(r: Repos, userId: string, conversationId: string, at: number): Promise<void> {
  const { conv, me } = await lockGroup(r, userId, conversationId);
  const declining = me.state === "request";
  await r.conversations.setState(conv.id, userId, declining ? "declined" : "left");
  const remaining = await r.conversations.members(conv.id);
  const active = remaining.filter((m) => m.state === "member");
  if (active.length === 0) {
    for (const m of remaining) await r.conversations.setState(conv.id, m.userId, "removed");
    await announce(r, conv.id, at, [userId, ...remaining.map((m) => m.userId)]);
    return;
  }
  if (ROLE_RANK[me.role] > ROLE_RANK.member && !active.some((m) => ROLE_RANK[m.role] > ROLE_RANK.member)) {
    await r.conversations.setRole(conv.id, active[0]!.userId, "admin");
  }
  if (!declining) await line(r, conv, userId, `${await displayName(r, userId)} left`, at);
  await announce(r, conv.id, at, [userId]);
}
