import { randomUUID } from "node:crypto";
import {
  CourierError,
  type CreateConversation,
  type Item,
  type Message,
  type SettingsPatch,
  type Summary,
  type User,
} from "../../shared/protocol/index.js";
import type { ConversationRecord, MemberRecord, Repos } from "../storage/storage.js";

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
  lastMessage: Message | null;
  item: Item | null;
  order: Summary["order"];
}

async function view(r: Repos, conv: ConversationRecord): Promise<ConversationView> {
  const members = await r.conversations.members(conv.id);
  const byId = new Map((await r.users.getMany(members.map((m) => m.userId))).map((u) => [u.id, u]));
  return {
    conv,
    members,
    users: members.flatMap((m) => byId.get(m.userId) ?? []),
    lastMessage: conv.lastSeq > 0 ? await r.messages.bySeq(conv.id, conv.lastSeq) : null,
    item: conv.itemId ? await r.items.get(conv.itemId) : null,
    order: conv.type === "item" ? await r.orders.ofConversation(conv.id) : null,
  };
}

/**
 * One member's summary. Built from current rows every time, so a `conv`
 * entry always carries the whole truth and clients replace their copy
 * instead of merging.
 */
async function personal(r: Repos, v: ConversationView, userId: string): Promise<Summary> {
  const me = v.members.find((m) => m.userId === userId);
  if (!me) throw CourierError.forbidden("You are not a member of this conversation.");
  const { conv } = v;
  const memberIds = v.members.map((m) => m.userId);
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
    lastMessage: v.lastMessage,
    unread: conv.lastSeq > me.readSeq ? await r.messages.unread(conv.id, me.readSeq, userId) : 0,
    readSeq: me.readSeq,
    muted: me.muted,
    pinned: me.pinned,
    remark: me.remark,
    label: me.label,
    members: v.users,
    item: v.item,
    order: v.order,
    receipts: v.members.map((m) => ({ userId: m.userId, deliveredSeq: m.deliveredSeq, readSeq: m.readSeq })),
  };
}

export async function buildSummary(r: Repos, userId: string, conv: ConversationRecord): Promise<Summary> {
  return personal(r, await view(r, conv), userId);
}

/** Looks a conversation up for a user: unknown → 404, not a member → 403. */
export async function memberConversation(r: Repos, userId: string, conversationId: string): Promise<ConversationRecord> {
  const conv = await r.conversations.get(conversationId);
  if (!conv) throw CourierError.notFound("No such conversation.");
  if (!(await r.conversations.member(conversationId, userId))) {
    throw CourierError.forbidden("You are not a member of this conversation.");
  }
  return conv;
}

export async function summaryFor(r: Repos, userId: string, conversationId: string): Promise<Summary> {
  return buildSummary(r, userId, await memberConversation(r, userId, conversationId));
}

/** Pinned first, then the most recently active. */
export async function listSummaries(r: Repos, userId: string): Promise<Summary[]> {
  const activity = (s: Summary) => s.lastMessage?.at ?? s.conversation.at;
  const summaries: Summary[] = [];
  for (const conv of await r.conversations.ofUser(userId)) summaries.push(await buildSummary(r, userId, conv));
  return summaries.sort(
    (a, b) => Number(b.pinned) - Number(a.pinned) || activity(b) - activity(a) || a.conversationId.localeCompare(b.conversationId),
  );
}

/**
 * Every member of `conv` (or those in `userIds`) gets its current summary as
 * a `conv` entry: a new conversation appearing, or one whose shared state
 * (the item, the order) changed.
 */
export async function announceConversation(r: Repos, conv: ConversationRecord, at: number, userIds?: readonly string[]): Promise<void> {
  const v = await view(r, conv);
  const to = userIds ?? v.members.map((m) => m.userId);
  const entries = [];
  for (const userId of to) entries.push({ userId, d: "chat" as const, k: "conv", data: { summary: await personal(r, v, userId) } });
  await r.log.append(entries, at);
}

/** A new conversation appears on every member's devices as a `conv` entry. */
async function createConversation(
  r: Repos,
  c: Omit<ConversationRecord, "id" | "lastSeq">,
  memberIds: string[],
): Promise<ConversationRecord> {
  const conv: ConversationRecord = { ...c, id: randomUUID(), lastSeq: 0 };
  await r.conversations.insert(conv, memberIds);
  await announceConversation(r, conv, c.at);
  return conv;
}

/** The buyer's conversation about an item, created on first use. */
export async function itemConversation(r: Repos, buyerId: string, item: Item, at: number) {
  if (item.sellerId === buyerId) throw CourierError.badRequest("You can't open a chat about your own listing.");
  const uniqueKey = `item:${item.id}:${buyerId}`;
  const existing = await r.conversations.byKey(uniqueKey);
  if (existing) return { conv: existing, created: false };
  const conv = await createConversation(r, { type: "item", itemId: item.id, title: null, uniqueKey, at }, [buyerId, item.sellerId]);
  return { conv, created: true };
}

async function openOne(r: Repos, userId: string, input: CreateConversation, at: number): Promise<{ conv: ConversationRecord; created: boolean }> {
  switch (input.type) {
    case "direct": {
      if (input.peerId === userId) throw CourierError.badRequest("You can't open a direct chat with yourself.");
      if (!(await r.users.get(input.peerId))) throw CourierError.notFound("No such user.");
      const uniqueKey = `direct:${[userId, input.peerId].sort().join(":")}`;
      const existing = await r.conversations.byKey(uniqueKey);
      if (existing) return { conv: existing, created: false };
      const conv = await createConversation(r, { type: "direct", itemId: null, title: null, uniqueKey, at }, [userId, input.peerId]);
      return { conv, created: true };
    }
    case "item": {
      const item = await r.items.get(input.itemId);
      if (!item) throw CourierError.notFound("No such item.");
      return itemConversation(r, userId, item, at);
    }
    case "group": {
      const memberIds = [userId, ...new Set(input.memberIds.filter((id) => id !== userId))];
      if (memberIds.length < 2) throw CourierError.badRequest("A group needs at least one other member.");
      const known = new Set((await r.users.getMany(memberIds)).map((u) => u.id));
      const unknown = memberIds.find((id) => !known.has(id));
      if (unknown !== undefined) throw CourierError.notFound(`No such user: ${unknown}.`);
      const conv = await createConversation(r, { type: "group", itemId: null, title: input.title, uniqueKey: null, at }, memberIds);
      return { conv, created: true };
    }
  }
}

/** Direct and item chats are opened once per pair (or item and buyer); a group is new every time. */
export async function openConversation(r: Repos, userId: string, input: CreateConversation, at: number) {
  const { conv, created } = await openOne(r, userId, input, at);
  return { created, summary: await buildSummary(r, userId, conv) };
}

/** Settings are private: only my own devices get the new summary. */
export async function updateSettings(r: Repos, userId: string, conversationId: string, patch: SettingsPatch, at: number): Promise<Summary> {
  const conv = await memberConversation(r, userId, conversationId);
  await r.conversations.updateSettings(conv.id, userId, patch);
  const summary = await buildSummary(r, userId, conv);
  await r.log.append([{ userId, d: "chat", k: "conv", data: { summary } }], at);
  return summary;
}

/** A page of history, for members only. */
export async function history(r: Repos, userId: string, conversationId: string, before: number | null, limit: number): Promise<Message[]> {
  await memberConversation(r, userId, conversationId);
  return r.messages.page(conversationId, before, limit);
}
