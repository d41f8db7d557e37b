import {
  CourierError,
  DOMAINS,
  type Domain,
  type PullResponse,
  SNAPSHOT_MESSAGES_PER_CONVERSATION,
  type Snapshot,
  type Versions,
  zeroVersions,
} from "../../shared/protocol/index.js";
import { listSummaries } from "../conversations/conversations.js";
import { deliveredOnAck } from "../receipts/receipts.js";
import type { EntryStamp, Repos, Storage, StoredDevice } from "../storage/storage.js";

/** The sync rules over the entry log: pages, snapshots and acks, the same on every engine. */

/**
 * Entries after `after`, contiguous from `after + 1`, or `reset`. The ring's
 * nominal size is not trusted to say what is kept: entries trimmed under a
 * smaller RING_CAPACITY stay gone after a restart with a larger one, so the
 * first kept entry decides. Never a gap.
 */
export async function pullPage(r: Repos, userId: string, d: Domain, after: number, limit: number): Promise<PullResponse> {
  const head = await r.log.head(userId, d);
  if (after < head - r.log.ring) return { d, entries: [], head, reset: true };
  if (after >= head) return { d, entries: [], head, reset: false };
  const entries = await r.log.range(userId, d, after, limit);
  if (entries[0]?.v !== after + 1) return { d, entries: [], head, reset: true };
  return { d, entries, head, reset: false };
}

/** Everything a device needs to start over: heads, summaries and the newest messages of each conversation. */
export async function snapshot(r: Repos, userId: string): Promise<Snapshot> {
  const conversations = await listSummaries(r, userId);
  const messages: Snapshot["messages"] = {};
  for (const s of conversations) {
    messages[s.conversationId] = await r.messages.page(s.conversationId, null, SNAPSHOT_MESSAGES_PER_CONVERSATION, userId);
  }
  return { heads: await r.log.heads(userId), conversations, messages };
}

/**
 * Entries one ack reports as newly acked, at most (the newest, across its
 * domains, chat first): a device acking a long backlog at once is reported in
 * part, and what it acked past this was reached by a pull anyway.
 */
export const ACKED_ENTRIES_MAX = 1000;

export interface AckResult {
  /** The device's acked versions after the ack. */
  acks: Versions;
  /** What the ack newly covered (kept entries only, at most ACKED_ENTRIES_MAX), ascending per domain: their commit times and places. */
  entries: EntryStamp[];
}

/**
 * Acks only move forward and never past the head (a version that doesn't
 * exist can't be applied); acking chat marks messages delivered.
 */
export async function ack(r: Repos, userId: string, deviceId: string, acks: Partial<Versions>, at: number): Promise<AckResult> {
  // Locked: two acks of one device at once take turns, so a receipt is announced once.
  const device = await r.devices.lock(deviceId);
  if (!device || device.userId !== userId) throw CourierError.forbidden("Unknown device; register it first.");
  await r.devices.seen(deviceId, at, null);
  const before = await r.log.acks(deviceId);
  const heads = await r.log.heads(userId);
  const after = { ...before };
  const entries: EntryStamp[] = [];
  for (const d of DOMAINS) {
    const v = Math.min(acks[d] ?? 0, heads[d]);
    if (v <= before[d]) continue;
    await r.log.setAck(deviceId, d, v);
    after[d] = v;
    const room = ACKED_ENTRIES_MAX - entries.length;
    if (room > 0) {
      const stamps = await r.log.ackedEntries(userId, d, before[d], v, room);
      // Committed before the device existed: it has them from its snapshot or a pull, not a delivery.
      for (const s of stamps) entries.push(s.at < device.registeredAt ? { ...s, catchUp: true } : s);
    }
    if (d === "chat") await deliveredOnAck(r, userId, before.chat, v, at);
  }
  return { acks: after, entries };
}

/** The device's acked versions (all 0 for a device that is not the user's). */
export async function deviceAcks(r: Repos, userId: string, deviceId: string): Promise<Versions> {
  return (await r.devices.get(deviceId))?.userId === userId ? r.log.acks(deviceId) : zeroVersions();
}

/** The entry log as the transports, the retransmitter and the push hand-over read it. */
export interface SyncReader {
  heads(userId: string): Promise<Versions>;
  pull(userId: string, d: Domain, after: number, limit: number): Promise<PullResponse>;
  deviceAcks(userId: string, deviceId: string): Promise<Versions>;
  getDevice(deviceId: string): Promise<StoredDevice | null>;
}

export function syncReader(storage: Storage): SyncReader {
  return {
    heads: (userId) => storage.read((r) => Promise.resolve(r.log.heads(userId))),
    pull: (userId, d, after, limit) => storage.read((r) => pullPage(r, userId, d, after, limit)),
    deviceAcks: (userId, deviceId) => storage.read((r) => deviceAcks(r, userId, deviceId)),
    getDevice: (deviceId) => storage.read((r) => Promise.resolve(r.devices.get(deviceId))),
  };
}
