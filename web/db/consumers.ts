import { Dexie } from "dexie";
import type { z } from "zod";
import type { Consumer, ConsumerRegistry } from "../../shared/sync/consumers.js";
import { ORDER_STATUSES, type Entry, type EntryKind, type Order, type Receipt } from "../../shared/protocol/index.js";
import { lenientEntryDataSchemas } from "../api/lenient.js";
import type { CourierDb } from "./database.js";
import type { StoredMessage, StoredSummary } from "./records.js";

export interface ConsumerHooks {
  /**
   * An entry referred to a conversation we hold no summary for (its `conv`
   * entry predates a snapshot, or the server sent none). The caller fetches
   * the summaries after the transaction; we must not do network I/O inside it.
   */
  onMissingSummary?(conversationId: string): void;
  /** A `cmd` entry. Unknown names are logged and ignored. */
  onCommand?(name: string, args: Record<string, unknown>): void;
}

/**
 * The consumers that turn sync entries into IndexedDB rows. They run inside
 * the store's transaction (see store.ts), so they only touch Dexie tables and
 * never await anything else. A malformed entry is logged and skipped: throwing
 * would block its domain forever, and the entry still advances the version.
 * A message of a kind this app does not know is not malformed: it is stored
 * and shown as a placeholder (lenient.ts).
 */
export function registerConsumers(registry: ConsumerRegistry, db: CourierDb, me: string, hooks: ConsumerHooks = {}): () => void {
  const consumers: Consumer[] = [
    { domain: "chat", kinds: ["msg", "conv", "read", "delivered", "recall"], apply: (entries) => applyChat(db, me, entries, hooks) },
    { domain: "chat", kinds: ["cmd"], apply: (entries) => applyCommands(entries, hooks) },
    { domain: "system", kinds: ["order"], apply: (entries) => applyOrders(db, entries, hooks) },
  ];
  const offs = consumers.map((c) => registry.register(c));
  return () => offs.forEach((off) => off());
}

function parse<K extends EntryKind>(entry: Entry, k: K): z.infer<(typeof lenientEntryDataSchemas)[K]> | null {
  const result = lenientEntryDataSchemas[k].safeParse(entry.data);
  if (result.success) return result.data as z.infer<(typeof lenientEntryDataSchemas)[K]>;
  console.warn(`courier: skipping malformed ${entry.d}:${entry.v} (${entry.k})`, result.error.issues[0]);
  return null;
}

/**
 * Summaries touched by one batch, read once and written once: a burst of a
 * hundred messages to one conversation is one read and one write.
 */
class SummaryCache {
  private readonly loaded = new Map<string, StoredSummary | undefined>();
  private readonly dirty = new Set<string>();

  constructor(private readonly db: CourierDb) {}

  async get(id: string): Promise<StoredSummary | undefined> {
    if (!this.loaded.has(id)) this.loaded.set(id, await this.db.conversations.get(id));
    return this.loaded.get(id);
  }

  set(summary: StoredSummary): void {
    this.loaded.set(summary.conversationId, summary);
    this.dirty.add(summary.conversationId);
  }

  async flush(): Promise<void> {
    const rows = [...this.dirty].map((id) => this.loaded.get(id)).filter((s): s is StoredSummary => s !== undefined);
    if (rows.length > 0) await this.db.conversations.bulkPut(rows);
    this.dirty.clear();
  }
}

async function applyChat(db: CourierDb, me: string, entries: Entry[], hooks: ConsumerHooks): Promise<void> {
  const summaries = new SummaryCache(db);
  for (const entry of entries) {
    switch (entry.k) {
      case "msg": {
        const data = parse(entry, "msg");
        if (data) await applyMessage(db, summaries, me, data.message, hooks);
        break;
      }
      case "conv": {
        const data = parse(entry, "conv");
        if (data) summaries.set(mergeSummary(await summaries.get(data.summary.conversationId), data.summary));
        break;
      }
      case "read": {
        const data = parse(entry, "read");
        if (data) await applyRead(db, summaries, me, data, hooks);
        break;
      }
      case "delivered": {
        const data = parse(entry, "delivered");
        if (!data) break;
        const summary = await summaries.get(data.conversationId);
        if (!summary) hooks.onMissingSummary?.(data.conversationId);
        else summaries.set(withReceipt(summary, data.userId, { deliveredSeq: data.seq }));
        break;
      }
      case "recall": {
        const data = parse(entry, "recall");
        if (!data) break;
        await db.messages.update(data.messageId, { recalled: true });
        const summary = await summaries.get(data.conversationId);
        if (summary?.lastMessage?.id === data.messageId) {
          summaries.set({ ...summary, lastMessage: { ...summary.lastMessage, recalled: true } });
        }
        break;
      }
    }
  }
  await summaries.flush();
}

async function applyMessage(db: CourierDb, summaries: SummaryCache, me: string, message: StoredMessage, hooks: ConsumerHooks): Promise<void> {
  const existing = await db.messages.get(message.id);
  // A recall may have been applied to an earlier copy (history page, send response).
  await db.messages.put(existing?.recalled ? { ...message, recalled: true } : message);
  // The pending copy leaves in the same transaction that stores the real one.
  if (message.senderId === me) await db.outbox.delete(message.clientMsgId);

  const summary = await summaries.get(message.conversationId);
  if (!summary) {
    hooks.onMissingSummary?.(message.conversationId);
    return;
  }
  const lastSeq = Math.max(summary.conversation.lastSeq, summary.lastMessage?.seq ?? 0);
  // Only a message newer than what the summary already counted can add to
  // unread: a summary from the server (conv entry, snapshot) includes its own.
  const isNew = message.seq > lastSeq;
  const newLastSeq = Math.max(lastSeq, message.seq);
  let { unread, readSeq } = summary;
  if (message.senderId === me) {
    // The server counts what I wrote as read by me, and with it everything before it.
    if (message.seq > readSeq) {
      readSeq = message.seq;
      unread = await countUnread(db, me, message.conversationId, readSeq, newLastSeq);
    }
  } else if (isNew && message.seq > readSeq) {
    unread += 1;
  }
  summaries.set({
    ...summary,
    conversation: { ...summary.conversation, lastSeq: newLastSeq },
    lastMessage: isNew || summary.lastMessage?.id === message.id ? message : summary.lastMessage,
    unread,
    readSeq,
  });
}

async function applyRead(
  db: CourierDb,
  summaries: SummaryCache,
  me: string,
  read: { conversationId: string; userId: string; seq: number },
  hooks: ConsumerHooks,
): Promise<void> {
  const summary = await summaries.get(read.conversationId);
  if (!summary) {
    hooks.onMissingSummary?.(read.conversationId);
    return;
  }
  let next = withReceipt(summary, read.userId, { readSeq: read.seq, deliveredSeq: read.seq });
  if (read.userId === me && read.seq > summary.readSeq) {
    next = { ...next, readSeq: read.seq, unread: await countUnread(db, me, read.conversationId, read.seq, next.conversation.lastSeq) };
  }
  summaries.set(next);
}

/** Messages from others above readSeq that we hold locally (we may not hold them all). */
export async function countUnread(db: CourierDb, me: string, conversationId: string, readSeq: number, lastSeq: number): Promise<number> {
  if (readSeq >= lastSeq) return 0;
  return db.messages
    .where("[conversationId+seq]")
    .between([conversationId, readSeq + 1], [conversationId, Dexie.maxKey], true, true)
    .filter((m) => m.senderId !== me)
    .count();
}

/** Receipts only move forward. */
function withReceipt(summary: StoredSummary, userId: string, change: Partial<Omit<Receipt, "userId">>): StoredSummary {
  const receipts = summary.receipts ?? [];
  const current = receipts.find((r) => r.userId === userId) ?? { userId, deliveredSeq: 0, readSeq: 0 };
  const next: Receipt = {
    userId,
    deliveredSeq: Math.max(current.deliveredSeq, change.deliveredSeq ?? 0),
    readSeq: Math.max(current.readSeq, change.readSeq ?? 0),
  };
  if (next.deliveredSeq === current.deliveredSeq && next.readSeq === current.readSeq && receipts.includes(current)) return summary;
  return { ...summary, receipts: [...receipts.filter((r) => r.userId !== userId), next] };
}

/**
 * A `conv` entry is the server's view at that version and wins, except for
 * what we know to be newer locally (a message the summary predates) and the
 * optional extensions it leaves out.
 */
function mergeSummary(local: StoredSummary | undefined, incoming: StoredSummary): StoredSummary {
  if (!local) return incoming;
  const localSeq = local.lastMessage?.seq ?? 0;
  const incomingSeq = incoming.lastMessage?.seq ?? 0;
  return {
    ...incoming,
    lastMessage: localSeq > incomingSeq ? local.lastMessage : incoming.lastMessage,
    conversation: { ...incoming.conversation, lastSeq: Math.max(incoming.conversation.lastSeq, local.conversation.lastSeq) },
    members: incoming.members ?? local.members,
    item: incoming.item === undefined ? local.item : incoming.item,
    order: incoming.order === undefined ? local.order : incoming.order,
    receipts: mergeReceipts(local.receipts, incoming.receipts),
  };
}

function mergeReceipts(a: Receipt[] | undefined, b: Receipt[] | undefined): Receipt[] | undefined {
  if (!a) return b;
  if (!b) return a;
  const byUser = new Map<string, Receipt>();
  for (const r of [...a, ...b]) {
    const seen = byUser.get(r.userId);
    byUser.set(r.userId, {
      userId: r.userId,
      deliveredSeq: Math.max(seen?.deliveredSeq ?? 0, r.deliveredSeq),
      readSeq: Math.max(seen?.readSeq ?? 0, r.readSeq),
    });
  }
  return [...byUser.values()];
}

async function applyOrders(db: CourierDb, entries: Entry[], hooks: ConsumerHooks): Promise<void> {
  const summaries = new SummaryCache(db);
  for (const entry of entries) {
    const data = parse(entry, "order");
    if (!data) continue;
    const order = data.order;
    const summary = await summaries.get(order.conversationId);
    if (!summary) {
      hooks.onMissingSummary?.(order.conversationId);
      continue;
    }
    const next = withOrder(summary, order);
    if (next) summaries.set(next);
  }
  await summaries.flush();
}

/** The summary with this order applied, or null when it already holds a later step. */
export function withOrder(summary: StoredSummary, order: Order): StoredSummary | null {
  if (summary.order && summary.order.id === order.id && rank(summary.order) > rank(order)) return null; // orders only move forward
  const item = summary.item ? { ...summary.item, status: "sold" as const } : summary.item;
  return { ...summary, order, item };
}

function rank(order: Order): number {
  return ORDER_STATUSES.indexOf(order.status);
}

function applyCommands(entries: Entry[], hooks: ConsumerHooks): void {
  for (const entry of entries) {
    const data = parse(entry, "cmd");
    if (!data) continue;
    if (hooks.onCommand) hooks.onCommand(data.name, data.args);
    else console.info(`courier: ignoring command ${data.name}`);
  }
}
