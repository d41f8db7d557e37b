import { randomUUID } from "node:crypto";
import {
  CourierError,
  type CreateConversation,
  isGoneMembership,
  type Item,
  type Message,
  type SettingsPatch,
  type Summary,
  type User,
} from "../../shared/protocol/index.js";
import { assertMayStart } from "../safety/blocks.js";
import type { ConversationRecord, MemberRecord, NewEntry, NewMember, Repos } from "../storage/storage.js";

/**
 * Conversations: who may see one, how each member sees it (the summary), and
 * how they come to be. Written once against the storage interface; every
 * engine runs exactly this.
 */

/** What every member's summary of one conversation shares, read once for all of them. */
interface ConversationView {
  conv: ConversationRecord;
  members: MemberRecord[];
  users: User[];
  /** Groups: people gone from it whose messages are in its history. */
  formerUsers: User[];
  /** The conversation's newest message, and who deleted it for themselves: they see their own newest (`personal`). */
  last: Message | null;
  lastHiders: ReadonlySet<string>;
  item: Item | null;
  order: Summary["order"];
}

async function view(r: Repos, conv: ConversationRecord): Promise<ConversationView> {
  const members = await r.conversations.members(conv.id);
  // Only a group's members can go (a direct or item chat keeps its two).
  const formerIds = conv.type === "group" ? await r.conversations.formerPosters(conv.id) : [];
  const byId = new Map((await r.users.getMany([...members.map((m) => m.userId), ...formerIds])).map((u) => [u.id, u]));
  const users = (ids: readonly string[]) => ids.flatMap((id) => byId.get(id) ?? []);
  const last = conv.lastSeq > 0 ? await r.messages.bySeq(conv.id, conv.lastSeq) : null;
  return {
    conv,
    members,
    users: users(members.map((m) => m.userId)),
    formerUsers: users(formerIds),
    last,
    lastHiders: new Set(last ? await r.messages.hiders(last) : []),
    item: conv.itemId ? await r.items.get(conv.itemId) : null,
    order: conv.type === "item" ? await r.orders.ofConversation(conv.id) : null,
  };
}

/**
 * A direct or item chat with no message yet is shown only to the one who
 * opened it (docs/protocol.md "The conversation list"): the other member (the
 * row the opener added; an item's seller, rows from before this rule too)
 * sees it once its first message is in it (`revealConversation`).
 */
function waitsForFirstMessage(v: Pick<ConversationView, "conv" | "members" | "item">, userId: string): boolean {
  if (v.conv.type === "group") return false;
  const me = v.members.find((m) => m.userId === userId);
  return (me?.addedBy ?? null) !== null || (v.conv.type === "item" && v.item?.sellerId === userId);
}

/** Who sees the conversation in their list and gets its `conv` entries now. */
function shownTo(v: ConversationView, userId: string): boolean {
  return v.conv.lastSeq > 0 || !waitsForFirstMessage(v, userId);
}

/**
 * One member's summary. Built from current rows every time, so a `conv`
 * entry always carries the whole truth and clients replace their copy
 * instead of merging. Someone who left or was removed gets one too (saying
 * so), but nothing said after they went: no last message, nothing unread.
 */
async function personal(r: Repos, v: ConversationView, userId: string): Promise<Summary> {
  const me = v.members.find((m) => m.userId === userId) ?? (await r.conversations.member(v.conv.id, userId));
  if (!me) throw CourierError.forbidden("You are not a member of this conversation.", "not_member");
  const { conv } = v;
  const memberIds = v.members.map((m) => m.userId);
  const gone = isGoneMembership(me.state);
  const group =
    conv.type === "group"
      ? {
          role: me.role,
          ...(me.addedBy !== null ? { addedBy: me.addedBy } : {}),
          roster: v.members.map((m) => ({ userId: m.userId, role: m.role, pending: m.state === "request" })),
          formerMembers: v.formerUsers,
        }
      : {};
  return {
    conversationId: conv.id,
    conversation: {
      id: conv.id,
      type: conv.type,
      memberIds,
      lastSeq: conv.lastSeq,
      at: conv.at,
      ...(conv.itemId !== null ? { itemId: conv.itemId } : {}),
      ...(conv.title !== null ? { title: conv.title } : {}),
    },
    // Each member's own: the newest they have not deleted for themselves.
    lastMessage: gone || conv.lastSeq === 0 ? null : await lastMessageFor(r, v, userId),
    unread: !gone && conv.lastSeq > me.readSeq ? await r.messages.unread(conv.id, me.readSeq, userId) : 0,
    readSeq: me.readSeq,
    muted: me.muted,
    pinned: me.pinned,
    remark: me.remark,
    label: me.label,
    // Extensions, present only when true: a client that does not know them sees nothing new.
    ...(me.archived ? { archived: true } : {}),
    ...(me.markedUnread ? { markedUnread: true } : {}),
    members: v.users,
    item: v.item,
    order: v.order,
    receipts: v.members.map((m) => ({ userId: m.userId, deliveredSeq: m.deliveredSeq, readSeq: m.readSeq })),
    membership: me.state,
    ...group,
  };
}

/**
 * The newest message `userId` has not deleted for themselves: the shared one
 * read by `view`, unless they hid it (only then a query of their own).
 */
async function lastMessageFor(r: Repos, v: ConversationView, userId: string): Promise<Message | null> {
  if (v.last && !v.lastHiders.has(userId)) return v.last;
  return (await r.messages.page(v.conv.id, null, 1, userId))[0] ?? null;
}

export async function buildSummary(r: Repos, userId: string, conv: ConversationRecord): Promise<Summary> {
  return personal(r, await view(r, conv), userId);
}

/** The conversation (if found) with the user's row in it, for someone who may read it: unknown → 404; never a member, or gone → 403. */
async function readable(r: Repos, userId: string, conv: ConversationRecord | null): Promise<{ conv: ConversationRecord; me: MemberRecord }> {
  if (!conv) throw CourierError.notFound("No such conversation.", "conversation_not_found");
  const me = await r.conversations.member(conv.id, userId);
  if (!me) throw CourierError.forbidden("You are not a member of this conversation.", "not_member");
  if (isGoneMembership(me.state)) throw CourierError.forbidden("You are no longer a member of this group.", "left_group");
  return { conv, me };
}

/** Looks a conversation up for someone who may read it (a member, or someone deciding on a request). */
export async function readableConversation(r: Repos, userId: string, conversationId: string) {
  return readable(r, userId, await r.conversations.get(conversationId));
}

/**
 * `readableConversation`, locked until the transaction ends (in a read: as
 * it is). Locked first, then checked: a change that held the lock meanwhile
 * (a removal, a leave) is seen, so nothing is written after the line saying
 * someone went.
 */
export async function lockedConversation(r: Repos, userId: string, conversationId: string) {
  return readable(r, userId, await r.conversations.lock(conversationId));
}

/** Looks a conversation up (locked) for a member who may write to it: a request not yet accepted → 403. */
export async function memberConversation(r: Repos, userId: string, conversationId: string): Promise<ConversationRecord> {
  const { conv, me } = await lockedConversation(r, userId, conversationId);
  if (me.state === "request") throw CourierError.forbidden("Accept the group request first.", "group_request_pending");
  return conv;
}

export async function summaryFor(r: Repos, userId: string, conversationId: string): Promise<Summary> {
  return buildSummary(r, userId, (await readableConversation(r, userId, conversationId)).conv);
}

/** Pinned first, then the most recently active. */
export async function listSummaries(r: Repos, userId: string): Promise<Summary[]> {
  const activity = (s: Summary) => s.lastMessage?.at ?? s.conversation.at;
  const summaries: Summary[] = [];
  for (const conv of await r.conversations.ofUser(userId)) {
    const v = await view(r, conv);
    if (shownTo(v, userId)) summaries.push(await personal(r, v, userId));
  }
  return summaries.sort(
    (a, b) => Number(b.pinned) - Number(a.pinned) || activity(b) - activity(a) || a.conversationId.localeCompare(b.conversationId),
  );
}

/**
 * Every current member of `conv` (and those in `alsoTo`: someone who just
 * left or was removed) gets its current summary as a `conv` entry: a new
 * conversation appearing, or one whose shared state (the item, the order,
 * the members, the title) changed.
 */
export async function announceConversation(r: Repos, conv: ConversationRecord, at: number, alsoTo: readonly string[] = []): Promise<void> {
  const v = await view(r, conv);
  // Not to the peer of a chat with no message yet: its first message brings it (revealConversation).
  const to = [...new Set([...v.members.map((m) => m.userId).filter((id) => shownTo(v, id)), ...alsoTo])];
  await appendSummaries(r, v, to, at);
}

async function appendSummaries(r: Repos, v: ConversationView, to: readonly string[], at: number): Promise<void> {
  const entries = [];
  for (const userId of to) entries.push(convEntry(userId, await personal(r, v, userId)));
  await r.log.append(entries, at);
}

/**
 * A direct or item chat's first message (`seq` 1, stored, its `msg` entries
 * not yet appended): the member who has not seen it yet gets its summary as
 * a `conv` entry, carrying that message, just before the `msg` entry (their
 * app holds the conversation when the message lands). Called by postMessage.
 */
export async function revealConversation(r: Repos, conv: ConversationRecord, seq: number, at: number): Promise<void> {
  if (seq !== 1 || conv.type === "group") return;
  const v = await view(r, { ...conv, lastSeq: seq });
  const to = v.members.map((m) => m.userId).filter((id) => waitsForFirstMessage(v, id));
  if (to.length > 0) await appendSummaries(r, v, to, at);
}

/** A `conv` entry, kept with the place of the lastMessage it carries: a recall or a hide of that message rewrites it. */
export function convEntry(userId: string, summary: Summary): NewEntry {
  const last = summary.lastMessage;
  return { userId, d: "chat", k: "conv", data: { summary }, ...(last ? { ref: { conversationId: last.conversationId, seq: last.seq } } : {}) };
}

/** A new conversation appears as a `conv` entry on the devices of every member who sees it yet (not a direct or item chat's peer). */
async function createConversation(r: Repos, c: Omit<ConversationRecord, "id" | "lastSeq">, members: NewMember[]): Promise<ConversationRecord> {
  const conv: ConversationRecord = { ...c, id: randomUUID(), lastSeq: 0 };
  await r.conversations.insert(conv, members);
  await announceConversation(r, conv, c.at);
  return conv;
}

/** The buyer's conversation about an item, created on first use. */
export async function itemConversation(r: Repos, buyerId: string, item: Item, at: number) {
  if (item.sellerId === buyerId) throw CourierError.badRequest("You can't open a chat about your own listing.", "own_listing_chat");
  const uniqueKey = `item:${item.id}:${buyerId}`;
  const existing = await r.conversations.byKey(uniqueKey);
  if (existing) return { conv: existing, created: false };
  // Safety (issue 14): no new chat between a blocker and the one they block, either way (403).
  await assertMayStart(r, buyerId, item.sellerId);
  const conv = await createConversation(r, { type: "item", itemId: item.id, title: null, uniqueKey, at }, openedBy(buyerId, item.sellerId));
  return { conv, created: true };
}

async function openOne(r: Repos, userId: string, input: CreateConversation, at: number): Promise<{ conv: ConversationRecord; created: boolean }> {
  switch (input.type) {
    case "direct": {
      if (input.peerId === userId) throw CourierError.badRequest("You can't open a direct chat with yourself.");
      if (!(await r.users.get(input.peerId))) throw CourierError.notFound("No such user.", "user_not_found");
      const uniqueKey = `direct:${[userId, input.peerId].sort().join(":")}`;
      const existing = await r.conversations.byKey(uniqueKey);
      if (existing) return { conv: existing, created: false };
      await assertMayStart(r, userId, input.peerId); // Safety (issue 14), as for item chats
      const conv = await createConversation(r, { type: "direct", itemId: null, title: null, uniqueKey, at }, openedBy(userId, input.peerId));
      return { conv, created: true };
    }
    case "item": {
      const item = await r.items.get(input.itemId);
      if (!item) throw CourierError.notFound("No such item.", "item_not_found");
      return itemConversation(r, userId, item, at);
    }
    case "group": {
      const others = othersNamed(userId, input.memberIds);
      if (others.length === 0) throw CourierError.badRequest("A group needs at least one other member.", "group_needs_member");
      await mustExist(r, others);
      const members: NewMember[] = [{ userId, role: "creator", state: "member", addedBy: null }];
      for (const id of others) members.push({ userId: id, role: "member", state: await arrivalState(r, userId, id), addedBy: userId });
      const conv = await createConversation(r, { type: "group", itemId: null, title: input.title, uniqueKey: null, at }, members);
      return { conv, created: true };
    }
  }
}

/**
 * The two of a direct or item chat: plain members; the peer's row says who
 * opened it (`addedBy`), so it waits for the first message (waitsForFirstMessage).
 */
const openedBy = (opener: string, peer: string): NewMember[] => [
  { userId: opener, role: "member", state: "member", addedBy: null },
  { userId: peer, role: "member", state: "member", addedBy: opener },
];

/** The people named, once each, without the one naming them. */
export function othersNamed(userId: string, ids: readonly string[]): string[] {
  return [...new Set(ids)].filter((id) => id !== userId);
}

export async function mustExist(r: Repos, ids: readonly string[]): Promise<void> {
  const known = new Set((await r.users.getMany(ids)).map((u) => u.id));
  const unknown = ids.find((id) => !known.has(id));
  if (unknown !== undefined) throw CourierError.notFound(`No such user: ${unknown}.`);
}

/**
 * Consent (docs/groups.md): someone joins at once only if they follow the
 * adder, or posted in a conversation they both are active members of (a
 * chat the adder opened alone does not count); anyone else finds the group
 * among their requests, silent until they accept.
 */
export async function arrivalState(r: Repos, adderId: string, userId: string): Promise<"member" | "request"> {
  if (await r.follows.follows(userId, adderId)) return "member";
  return (await r.conversations.heardFrom(adderId, userId)) ? "member" : "request";
}

/** Direct and item chats are opened once per pair (or item and buyer); a group is new every time. */
export async function openConversation(r: Repos, userId: string, input: CreateConversation, at: number) {
  const { conv, created } = await openOne(r, userId, input, at);
  return { created, summary: await buildSummary(r, userId, conv) };
}

/**
 * Settings are private: only my own devices get the new summary. Locked: a
 * recall or hide of the lastMessage it carries takes turns with it, so it
 * either sees the message gone or rewrites this entry after it.
 */
export async function updateSettings(r: Repos, userId: string, conversationId: string, patch: SettingsPatch, at: number): Promise<Summary> {
  const { conv } = await lockedConversation(r, userId, conversationId);
  await r.conversations.updateSettings(conv.id, userId, patch);
  const summary = await buildSummary(r, userId, conv);
  await r.log.append([convEntry(userId, summary)], at);
  return summary;
}

/** A page of history, for members only. */
export async function history(r: Repos, userId: string, conversationId: string, before: number | null, limit: number): Promise<Message[]> {
  await readableConversation(r, userId, conversationId);
  return r.messages.page(conversationId, before, limit, userId);
}
