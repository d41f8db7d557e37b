import type { Result } from "ioredis";
import { defineScript, type RedisGuard } from "./redis-guard.js";

/**
 * How many messages of a conversation a device has been notified of and not
 * yet seen: the `count` of the next chat notification. A message stops
 * counting when the user reads up to it (on any device), when the device is
 * seen after it arrived (its lastSeen moves: an ack or a registration, on any
 * process), or when the device comes live. Cosmetic: whether a notification
 * goes out never depends on it (PushService decides that from the database).
 */
export interface UnseenCounts {
  /**
   * Adds `fresh` (messages about to be announced) to what the device has not
   * seen of the conversation, after dropping what it has seen since, and
   * answers how many that is.
   */
  count(userId: string, deviceId: string, conversationId: string, seen: Seen, fresh: readonly Mark[]): Promise<number>;
  /** A connection of the device became live (on this process): everything before counts as seen. */
  deviceLive(userId: string, deviceId: string, at: number): void;
  /** The user read the conversation up to `seq` (appended on this process). */
  read(userId: string, conversationId: string, seq: number): void;
}

/** What the database says the device has seen: its lastSeen, and the user's read position in the conversation. */
export interface Seen {
  lastSeen: number;
  readSeq: number;
}

/** A message: its seq in the conversation and when it was committed. */
export interface Mark {
  seq: number;
  at: number;
}

/** Unseen messages kept per (device, conversation) at most (the oldest go first): a count above it shows as this. */
export const UNSEEN_CAP = 1000;
/** Records (device, conversation) kept in memory at most (the oldest go first). */
const MAX_UNSEEN = 100_000;

/** One process: per user, per `${deviceId}|${conversationId}`, seq → at. */
export class MemoryUnseen implements UnseenCounts {
  private readonly byUser = new Map<string, Map<string, Map<number, number>>>();
  private records = 0;

  count(userId: string, deviceId: string, conversationId: string, seen: Seen, fresh: readonly Mark[]): Promise<number> {
    const key = `${deviceId}|${conversationId}`;
    const seqs = this.byUser.get(userId)?.get(key) ?? new Map<number, number>();
    for (const [seq, at] of seqs) if (at < seen.lastSeen || seq <= seen.readSeq) seqs.delete(seq);
    for (const m of fresh) seqs.set(m.seq, m.at);
    for (const seq of seqs.keys()) {
      if (seqs.size <= UNSEEN_CAP) break;
      seqs.delete(seq);
    }
    if (seqs.size === 0) this.forget(userId, key);
    else this.keep(userId, key, seqs);
    return Promise.resolve(seqs.size);
  }

  deviceLive(userId: string, deviceId: string): void {
    const prefix = `${deviceId}|`;
    for (const key of this.byUser.get(userId)?.keys() ?? []) if (key.startsWith(prefix)) this.forget(userId, key);
  }

  read(userId: string, conversationId: string, seq: number): void {
    const suffix = `|${conversationId}`;
    for (const [key, seqs] of this.byUser.get(userId) ?? []) {
      if (!key.endsWith(suffix)) continue;
      for (const s of seqs.keys()) if (s <= seq) seqs.delete(s);
      if (seqs.size === 0) this.forget(userId, key);
    }
  }

  private forget(userId: string, key: string): void {
    const records = this.byUser.get(userId);
    if (!records?.delete(key)) return;
    this.records--;
    if (records.size === 0) this.byUser.delete(userId);
  }

  private keep(userId: string, key: string, seqs: Map<number, number>): void {
    let records = this.byUser.get(userId);
    if (!records?.has(key) && this.records >= MAX_UNSEEN) {
      // Over the cap: forget the user who has been in the map longest (their next count starts over).
      const [oldest, states] = this.byUser.entries().next().value!;
      this.records -= states.size;
      this.byUser.delete(oldest);
      records = this.byUser.get(userId);
    }
    if (!records) this.byUser.set(userId, (records = new Map()));
    if (!records.has(key)) this.records++;
    records.set(key, seqs);
  }
}

/** Unseen sets and live marks expire this long after their last change (a device away longer starts from zero). */
export const UNSEEN_TTL_MS = 7 * 24 * 60 * 60_000;

/**
 * KEYS[1]: the sorted set of unseen messages (member seq, score at);
 * KEYS[2]: when the device last came live (ms), if it did lately.
 * ARGV: lastSeen, readSeq, ttl ms, cap, then seq and at of each fresh message.
 * Drops the members seen (arrived before the later of lastSeen and the live
 * mark) or read (seq <= readSeq), adds the fresh ones, keeps the newest `cap`,
 * answers the count. Numbers go back to Redis as the strings they came in.
 */
const UNSEEN_SCRIPT = `
local cut = ARGV[1]
local live = redis.call('GET', KEYS[2])
if live and tonumber(live) > tonumber(cut) then cut = live end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. cut)
local readSeq = tonumber(ARGV[2])
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #members do
  if tonumber(members[i]) <= readSeq then redis.call('ZREM', KEYS[1], members[i]) end
end
for i = 5, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
end
local n = redis.call('ZCARD', KEYS[1])
local cap = tonumber(ARGV[4])
if n > cap then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - cap - 1)
  n = cap
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return n
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** UNSEEN_SCRIPT (unseen.ts). */
    courierPushUnseen(unseenKey: string, liveKey: string, ...args: (string | number)[]): Result<number, Context>;
  }
}

// Keys share the hash tag {userId}: one user's push state sits on one Redis Cluster shard.
const unseenKey = (userId: string, deviceId: string, conversationId: string) => `pu:{${userId}}:${deviceId}:${conversationId}`;
const liveKey = (userId: string, deviceId: string) => `pl:{${userId}}:${deviceId}`;

/**
 * Unseen counts shared by every process through Redis: per (user, device,
 * conversation) a sorted set of seqs scored by commit time, trimmed and
 * counted by one script when a notification goes out; a device coming live
 * on any process sets a live mark that trims what came before. Reads need no
 * command of their own: the script drops what the database's read position
 * covers. While Redis does not answer, counts are this process's own
 * (`MemoryUnseen`), which may show a smaller number, never block a send.
 */
export class RedisUnseen implements UnseenCounts {
  private readonly local = new MemoryUnseen();

  constructor(
    private readonly guard: RedisGuard,
    private readonly track: (p: Promise<unknown>) => void,
  ) {
    if (guard.link) defineScript(guard.link.command, "courierPushUnseen", 2, UNSEEN_SCRIPT);
  }

  async count(userId: string, deviceId: string, conversationId: string, seen: Seen, fresh: readonly Mark[]): Promise<number> {
    const marks = fresh.flatMap((m) => [m.seq, m.at]);
    const shared = await this.guard.run((redis) =>
      redis.courierPushUnseen(unseenKey(userId, deviceId, conversationId), liveKey(userId, deviceId), seen.lastSeen, seen.readSeq, UNSEEN_TTL_MS, UNSEEN_CAP, ...marks),
    );
    return shared ?? this.local.count(userId, deviceId, conversationId, seen, fresh);
  }

  deviceLive(userId: string, deviceId: string, at: number): void {
    this.local.deviceLive(userId, deviceId);
    this.track(this.guard.run((redis) => redis.set(liveKey(userId, deviceId), at, "PX", UNSEEN_TTL_MS)));
  }

  read(userId: string, conversationId: string, seq: number): void {
    this.local.read(userId, conversationId, seq);
  }
}
