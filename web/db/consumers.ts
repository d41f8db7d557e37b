import { Dexie } from "dexie";
import type { z } from "zod";
import type { Consumer, ConsumerRegistry } from "../../shared/sync/consumers.js";
import { itemWire, ORDER_STATUSES, type Entry, type EntryData, type EntryKind, type Order, type Receipt } from "../../shared/protocol/index.js";
import { lenientEntryDataSchemas } from "../api/lenient.js";
import type { CourierDb } from "./database.js";
import { isCancelled } from "../features/offers/rules.js";
import { applyOfferEntries } from "./offers.js";
import { applyBlocks } from "../features/safety/blocks.js";
import { lastSeqOf, type StoredMessage, type StoredSummary } from "./records.js";
import { putMessages } from "../search/backfill.js";

export interface ConsumerHooks {
  /**
   * An entry referred to a conversation we hold no summary for (its `conv`
   * entry predates a snapshot, or the server sent none). The caller fetches
   * the summaries after the transaction; we must not do network I/O inside it.
   */
  onMissingSummary?(conversationId: string): void;
  /** A `cmd` entry, inside the transaction that consumes it (commands/runner.ts decides whether and when to run it). */
  onCommand?(command: EntryData<"cmd">, at: number): void | Promise<void>;
  /** A message was recalled (`summary`: its conversation as held before this batch), for the notification on screen. */
  onRecalled?(recall: EntryData<"recall">, summary: StoredSummary | undefined): void;
  /** I deleted a message for myself (on any of my devices), for the notification on screen. */
  onHidden?(hide: EntryData<"hide">): void;
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
    { domain: "chat", kinds: CHAT_KINDS, apply: (entries) => applyChat(db, me, entries, hooks) },
    { domain: "chat", kinds: ["cmd"], apply: (entries) => applyCommands(entries, hooks) },
    { domain: "system", kinds: ["order"], apply: (entries) => applyOrders(db, entries, hooks) },
    { domain: "system", kinds: ["offer"], apply: (entries) => applyOfferEntries(db, entries) },
    { domain: "system", kinds: ["blocks"], apply: (entries) => applyBlocks(db, entries) }, // safety (issue 14)
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

/** Reads the rows of `ids` not in `into` yet with one bulk request; a missing row is kept as undefined. */
async function loadInto<T>(into: Map<string, T | undefined>, ids: Iterable<string>, bulkGet: (keys: string[]) => PromiseLike<(T | undefined)[]>): Promise<void> {
  const keys = [...new Set(ids)].filter((id) => !into.has(id));
  if (keys.length === 0) return;
  const rows = await bulkGet(keys);
  keys.forEach((id, i) => into.set(id, rows[i]));
}

/**
 * Summaries touched by one batch, read in one request before the batch is
 * applied and written in one after it.
 */
class SummaryCache {
  private readonly loaded = new Map<string, StoredSummary | undefined>();
  private readonly dirty = new Set<string>();

  constructor(private readonly db: CourierDb) {}

  load(ids: Iterable<string>): Promise<void> {
    return loadInto(this.loaded, ids, (keys) => this.db.conversations.bulkGet(keys));
  }

  /** Only what load() read (or set() wrote): the batch itself never waits on IndexedDB. */
  get(id: string): StoredSummary | undefined {
    return this.loaded.get(id);
  }

  /** The summary as it is now; the very object already held changes nothing, and is not written again. */
  set(summary: StoredSummary): void {
    if (this.loaded.get(summary.conversationId) === summary) return;
    this.loaded.set(summary.conversationId, summary);
    this.dirty.add(summary.conversationId);
  }

  async flush(): Promise<void> {
    const rows = [...this.dirty].map((id) => this.loaded.get(id)).filter((s): s is StoredSummary => s !== undefined);
    if (rows.length > 0) await this.db.conversations.bulkPut(rows);
    this.dirty.clear();
  }
}

/** A message an entry touches: its conversation, and its seq when the entry says (a hide does not). */
interface MessageRef {
  conversationId: string;
  messageId: string;
  seq?: number;
}

/** Seqs of one conversation this close (or closer) are read as one range: at most this many rows read per message wanted. */
const RANGE_GAP = 4;
/** Fewer messages than this in a run are read by id. */
const RANGE_MIN = 8;

/** The messages sorted by seq, cut where the next seq is more than RANGE_GAP further. */
function seqRuns<T extends { seq: number }>(messages: T[]): T[][] {
  const runs: T[][] = [];
  for (const m of [...messages].sort((a, b) => a.seq - b.seq)) {
    const run = runs.at(-1);
    if (run && m.seq - run.at(-1)!.seq <= RANGE_GAP) run.push(m);
    else runs.push([m]);
  }
  return runs;
}

/**
 * Message rows of one batch, like the summaries: the stored copies read in
 * one request, the new rows written in one, the outbox rows they replace
 * removed in one. Unread counts that need the stored rows (my own message,
 * my read receipt) are taken once per conversation, after the write.
 *
 * Tombstones: a recalled or hidden (deleted for me) message keeps a row with
 * no text, also when the recall or hide came before any copy of it; every
 * later copy (this batch, a later batch, a history page, a send's answer) is
 * merged into it and stays without text (see `merged`).
 */
class MessageWriter {
  private readonly stored = new Map<string, StoredMessage | undefined>();
  private readonly pending = new Map<string, StoredMessage>();
  private readonly sentByMe: string[] = [];
  /** Conversations whose unread count is taken from the stored rows at the end. */
  readonly recount = new Set<string>();
  /** Conversations whose last message was deleted for me: the newest row left takes its place at the end. */
  readonly relast = new Set<string>();

  constructor(
    private readonly db: CourierDb,
    private readonly me: string,
  ) {}

  /**
   * Reads the stored copies of the messages a batch touches. A row is at its
   * message's seq in its conversation, or at seq 0 (a delete-for-me
   * tombstone of a message never held, `hide`), so a run of nearby seqs in
   * one conversation (a catch-up page) is read as one range of
   * `[conversationId+seq]` plus that conversation's seq-0 rows: a few
   * requests instead of one per id, and only the rows that exist come back.
   * The rest (a hide says no seq; a lone seq) is read by id.
   */
  async load(refs: readonly MessageRef[]): Promise<void> {
    const byId = new Set<string>();
    const ranges: { conversationId: string; from: number; to: number }[] = [];
    const ranged = new Set<string>();
    const bySeq = new Map<string, { id: string; seq: number }[]>();
    for (const { conversationId, messageId: id, seq } of refs) {
      if (this.stored.has(id)) continue;
      if (seq === undefined || seq <= 0) byId.add(id);
      else {
        const held = bySeq.get(conversationId);
        if (held) held.push({ id, seq });
        else bySeq.set(conversationId, [{ id, seq }]);
      }
    }
    for (const [conversationId, held] of bySeq) {
      for (const run of seqRuns(held)) {
        if (run.length < RANGE_MIN) run.forEach((m) => byId.add(m.id));
        else {
          ranges.push({ conversationId, from: run[0]!.seq, to: run.at(-1)!.seq });
          run.forEach((m) => ranged.add(m.id));
        }
      }
    }
    const tombstones = [...new Set(ranges.map((r) => r.conversationId))].map((conversationId) => ({ conversationId, from: 0, to: 0 }));
    const keys = [...byId].filter((id) => !ranged.has(id));
    const [rows, ...found] = await Promise.all([
      keys.length > 0 ? this.db.messages.bulkGet(keys) : [],
      ...[...ranges, ...tombstones].map(({ conversationId, from, to }) =>
        this.db.messages.where("[conversationId+seq]").between([conversationId, from], [conversationId, to], true, true).toArray(),
      ),
    ]);
    keys.forEach((id, i) => this.stored.set(id, rows[i]));
    for (const id of ranged) this.stored.set(id, undefined);
    for (const row of found.flat()) if (ranged.has(row.id)) this.stored.set(row.id, row);
  }

  private held(id: string): StoredMessage | undefined {
    return this.pending.get(id) ?? this.stored.get(id);
  }

  /** Stores a copy of a message; answers the row as stored (a tombstone stays one). */
  put(message: StoredMessage): StoredMessage {
    const row = merged(this.held(message.id), message);
    this.pending.set(message.id, row);
    // The pending copy leaves in the same transaction that stores the real one.
    if (message.senderId === this.me) this.sentByMe.push(message.clientMsgId);
    return row;
  }

  recall(recall: EntryData<"recall">): void {
    const { conversationId, messageId: id, seq, by: senderId, at } = recall;
    // Never held: a row in its place from what the recall says, so a later copy finds it recalled.
    const copy = this.held(id) ?? { id, conversationId, seq, senderId, clientMsgId: "", kind: "text", body: "", at };
    this.pending.set(id, withoutText(copy, { recalled: true }));
  }

  hide(hide: EntryData<"hide">): void {
    const { conversationId, messageId: id } = hide;
    // Never held: a row with no place (seq 0) that no screen shows, only to keep later copies out.
    const copy = this.held(id) ?? { id, conversationId, seq: 0, senderId: "", clientMsgId: "", kind: "text", body: "", at: 0 };
    this.pending.set(id, withoutText(copy, { hidden: true }));
  }

  async flush(): Promise<void> {
    // A large pulled page is written without search terms, indexed right after (search/backfill.ts).
    if (this.pending.size > 0) await putMessages(this.db, [...this.pending.values()]);
    if (this.sentByMe.length > 0) await this.db.outbox.bulkDelete(this.sentByMe);
    this.pending.clear();
    this.sentByMe.length = 0;
  }
}

/**
 * A copy of a message over the row held for it: a recall or a delete-for-me
 * already applied wins, so the text never comes back; the copy brings what a
 * tombstone could not know (its time, sender, clientMsgId).
 */
export function merged(held: StoredMessage | undefined, copy: StoredMessage): StoredMessage {
  const recalled = !!(held?.recalled || copy.recalled);
  const hidden = !!(held?.hidden || copy.hidden);
  return recalled || hidden ? withoutText(copy, { recalled, hidden }) : copy;
}

function withoutText(message: StoredMessage, flags: { recalled?: boolean; hidden?: boolean }): StoredMessage {
  return { ...message, body: "", ...(flags.recalled || message.recalled ? { recalled: true } : {}), ...(flags.hidden || message.hidden ? { hidden: true } : {}) };
}

/** The summary's last message was deleted for me: the newest message left on this device, or none. */
function newestShown(db: CourierDb, conversationId: string): Promise<StoredMessage | undefined> {
  return db.messages
    .where("[conversationId+seq]")
    .between([conversationId, Dexie.minKey], [conversationId, Dexie.maxKey])
    .reverse()
    .filter((m) => !m.hidden)
    .first();
}

const CHAT_KINDS = ["msg", "conv", "read", "delivered", "recall", "hide"] as const;
type ChatKind = (typeof CHAT_KINDS)[number];
type ChatData = { [K in ChatKind]: { k: K; data: z.infer<(typeof lenientEntryDataSchemas)[K]> } }[ChatKind];

function parseChat(entry: Entry): ChatData | null {
  switch (entry.k) {
    case "msg":
    case "conv":
    case "read":
    case "delivered":
    case "recall":
    case "hide": {
      const data = parse(entry, entry.k);
      return data ? ({ k: entry.k, data } as ChatData) : null;
    }
    default:
      return null;
  }
}

/** The conversation and message an entry touches, to read them all before applying any. */
function touches(item: ChatData): { conversationId: string; message?: MessageRef } {
  switch (item.k) {
    case "msg": {
      const { conversationId, id: messageId, seq } = item.data.message;
      return { conversationId, message: { conversationId, messageId, seq } };
    }
    case "conv":
      return { conversationId: item.data.summary.conversationId };
    case "recall": {
      const { conversationId, messageId, seq } = item.data;
      return { conversationId, message: { conversationId, messageId, seq } };
    }
    case "hide":
      return { conversationId: item.data.conversationId, message: { conversationId: item.data.conversationId, messageId: item.data.messageId } };
    default:
      return { conversationId: item.data.conversationId };
  }
}

/**
 * A batch in three steps: read every summary and message it touches (two
 * requests), apply the entries in order in memory, write the results (a few
 * bulk requests). Nothing in the middle waits: a long await-chain that does
 * no IndexedDB work would let the transaction commit under us.
 */
async function applyChat(db: CourierDb, me: string, entries: Entry[], hooks: ConsumerHooks): Promise<void> {
  await applyItems(db, me, entries.map(parseChat).filter((item): item is ChatData => item !== null), hooks);
}

/**
 * What this device did itself and the server confirmed (my recall, my delete
 * for me), applied at once as its entry will be when it arrives (applying it
 * twice changes nothing).
 */
export async function applyOwnChange(db: CourierDb, me: string, change: Extract<ChatData, { k: "recall" | "hide" }>): Promise<void> {
  await db.transaction("rw", db.messages, db.conversations, db.outbox, () => applyItems(db, me, [change], {}));
}

async function applyItems(db: CourierDb, me: string, items: ChatData[], hooks: ConsumerHooks): Promise<void> {
  const summaries = new SummaryCache(db);
  const messages = new MessageWriter(db, me);
  const touched = items.map(touches);
  await summaries.load(touched.map((t) => t.conversationId));
  await messages.load(touched.flatMap((t) => (t.message ? [t.message] : [])));
  for (const item of items) {
    switch (item.k) {
      case "msg":
        applyMessage(summaries, messages, me, item.data.message, hooks);
        break;
      case "conv":
        summaries.set(mergeSummary(summaries.get(item.data.summary.conversationId), item.data.summary));
        // The server's count at this version replaces ours, as it did before any recount; its last message skips what I deleted.
        messages.recount.delete(item.data.summary.conversationId);
        messages.relast.delete(item.data.summary.conversationId);
        break;
      case "read":
        applyRead(summaries, messages, me, item.data, hooks);
        break;
      case "delivered": {
        const summary = summaries.get(item.data.conversationId);
        if (!summary) hooks.onMissingSummary?.(item.data.conversationId);
        else summaries.set(withReceipt(summary, item.data.userId, { deliveredSeq: item.data.seq }));
        break;
      }
      case "recall": {
        messages.recall(item.data);
        const summary = summaries.get(item.data.conversationId);
        hooks.onRecalled?.(item.data, summary);
        if (summary?.lastMessage?.id === item.data.messageId) {
          summaries.set({ ...summary, lastMessage: withoutText(summary.lastMessage, { recalled: true }) });
        }
        break;
      }
      case "hide": {
        messages.hide(item.data);
        hooks.onHidden?.(item.data);
        const summary = summaries.get(item.data.conversationId);
        if (summary?.lastMessage?.id === item.data.messageId) {
          // Found again among the rows once this batch is written.
          summaries.set({ ...summary, lastMessage: null });
          messages.relast.add(item.data.conversationId);
        }
        break;
      }
    }
  }
  await messages.flush();
  for (const id of messages.recount) {
    const summary = summaries.get(id);
    if (summary) summaries.set({ ...summary, unread: await countUnread(db, me, id, summary.readSeq, summary.conversation.lastSeq) });
  }
  for (const id of messages.relast) {
    const summary = summaries.get(id);
    if (summary) summaries.set({ ...summary, lastMessage: (await newestShown(db, id)) ?? null });
  }
  await summaries.flush();
}

function applyMessage(summaries: SummaryCache, messages: MessageWriter, me: string, copy: StoredMessage, hooks: ConsumerHooks): void {
  const message = messages.put(copy);
  const summary = summaries.get(message.conversationId);
  if (!summary) {
    hooks.onMissingSummary?.(message.conversationId);
    return;
  }
  const lastSeq = lastSeqOf(summary);
  // Only a message newer than what the summary already counted can add to
  // unread: a summary from the server (conv entry, snapshot) includes its own.
  const isNew = message.seq > lastSeq;
  const newLastSeq = Math.max(lastSeq, message.seq);
  let { unread, readSeq } = summary;
  if (message.senderId === me) {
    // The server counts what I wrote as read by me, and with it everything before it.
    if (message.seq > readSeq) {
      readSeq = message.seq;
      messages.recount.add(message.conversationId);
    }
  } else if (isNew && message.seq > readSeq && !message.hidden) {
    unread += 1;
  }
  // Deleted for me: never the preview; if it was, the newest row left is found at the end (relast).
  const replaces = isNew || summary.lastMessage?.id === message.id;
  let lastMessage = summary.lastMessage;
  if (replaces && !message.hidden) {
    lastMessage = message;
    messages.relast.delete(message.conversationId);
  } else if (message.hidden && summary.lastMessage?.id === message.id) {
    lastMessage = null;
    messages.relast.add(message.conversationId);
  }
  summaries.set({
    ...summary,
    conversation: { ...summary.conversation, lastSeq: newLastSeq },
    lastMessage,
    unread,
    readSeq,
  });
}

function applyRead(
  summaries: SummaryCache,
  messages: MessageWriter,
  me: string,
  read: { conversationId: string; userId: string; seq: number },
  hooks: ConsumerHooks,
): void {
  const summary = summaries.get(read.conversationId);
  if (!summary) {
    hooks.onMissingSummary?.(read.conversationId);
    return;
  }
  let next = withReceipt(summary, read.userId, { readSeq: read.seq, deliveredSeq: read.seq });
  if (read.userId === me && read.seq > summary.readSeq) {
    next = { ...next, readSeq: read.seq };
    messages.recount.add(read.conversationId);
  }
  summaries.set(next);
}

/** Messages from others above readSeq that we hold locally (we may not hold them all). */
export async function countUnread(db: CourierDb, me: string, conversationId: string, readSeq: number, lastSeq: number): Promise<number> {
  if (readSeq >= lastSeq) return 0;
  return db.messages
    .where("[conversationId+seq]")
    .between([conversationId, readSeq + 1], [conversationId, Dexie.maxKey], true, true)
    .filter((m) => m.senderId !== me && !m.hidden)
    .count();
}

/** The summary with `userId`'s receipt moved forward by `change` (receipts only move forward): the same object when that moves nothing. */
export function withReceipt(summary: StoredSummary, userId: string, change: Partial<Omit<Receipt, "userId">>): StoredSummary {
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
    lastMessage: localSeq > incomingSeq ? local.lastMessage : sameMessage(local.lastMessage, incoming.lastMessage),
    conversation: { ...incoming.conversation, lastSeq: Math.max(incoming.conversation.lastSeq, local.conversation.lastSeq) },
    members: incoming.members ?? local.members,
    item: incoming.item === undefined ? local.item : incoming.item,
    order: incoming.order === undefined ? local.order : incoming.order,
    receipts: mergeReceipts(local.receipts, incoming.receipts),
  };
}

/** A recall applied here stays on the preview when an older view of the same message comes in. */
function sameMessage(local: StoredMessage | null, incoming: StoredMessage | null): StoredMessage | null {
  return incoming && local?.id === incoming.id ? merged(local, incoming) : incoming;
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
  const orders = entries.map((entry) => parse(entry, "order")?.order).filter((order): order is Order => order !== undefined);
  const summaries = new SummaryCache(db);
  await summaries.load(orders.map((order) => order.conversationId));
  for (const order of orders) {
    const summary = summaries.get(order.conversationId);
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
  // A cancelled order puts the listing back (issue 14); every other step means it sold. Either way not reserved or withdrawn any more.
  const wire = itemWire(isCancelled(order) ? "listed" : "sold");
  let item = summary.item;
  if (item) {
    item = { ...item, ...wire };
    delete item.availability;
  }
  return { ...summary, order, item };
}

function rank(order: Order): number {
  return ORDER_STATUSES.indexOf(order.status);
}

/** One at a time, in order: the runner records each in the `commands` table of this transaction. */
async function applyCommands(entries: Entry[], hooks: ConsumerHooks): Promise<void> {
  for (const entry of entries) {
    const data = parse(entry, "cmd");
    if (!data) continue;
    if (hooks.onCommand) await hooks.onCommand(data, entry.at);
    else console.info(`courier: ignoring command ${data.name}`);
  }
}
