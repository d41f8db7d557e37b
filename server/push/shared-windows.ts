import type { Result } from "ioredis";
import { CollapseWindows, type Timers } from "./collapse.js";
import { defineScript, type RedisGuard } from "./redis-guard.js";

/**
 * Web Push across processes (issue 11; docs/cluster.md). Any process may
 * commit an entry that notifies a device, so what one process used to decide
 * from memory is shared through Redis, each with a fallback to this process
 * alone when Redis does not answer within 500 ms (a notification too many,
 * never one missing; logged once per outage by RedisGuard):
 *
 * - **Is the device live?** This process's hub, then cluster presence
 *   (`Presence`, server/cluster/presence.ts) for devices not live here;
 *   "not known" counts as not live.
 * - **Collapse windows** (this file): one window per (user, device, collapse
 *   key) in the whole cluster. A hash `pw:{user}:device:key`:
 *     o          owner token (node id and a serial) of the window now open
 *     n          events other processes added to it
 *     r, e       rank and JSON of the newest of those (chat: seq; else: at);
 *                a chat event is the message's place only, never its text
 *                (read from storage when the window closes)
 *     f          "1" if one of them was handed over after a give-up (forced)
 *     s<seq>     commit time of each chat message among them (unseen counts)
 *   JOIN (one script): no window → this process opens it (`o` = its token,
 *   expiring windowMs + grace) and keeps its own events in memory, where
 *   more of its events join without Redis. A window of another process → the
 *   event is added to the hash (expiry pushed to windowMs + 2·grace) and this
 *   process sends nothing; it only watches (below). When the owner's window
 *   closes, TAKE (one script) reads and deletes the hash, leaving a tombstone
 *   in `pwt:{user}:device:key` (field token = "p"), and the owner sends one
 *   notification with its own events plus the others' count and newest
 *   preview; CONFIRM then marks the tombstone "d" (done).
 *   A process that joined runs TAKE with the owner's token windowMs + grace
 *   (SHARE_GRACE_MS, 2 s) after it joined: "d" → done; the hash is still
 *   there → the owner died, it sends the hash's events itself (the owner's
 *   own events die with it, as they did with one process); "p" (the owner's
 *   TAKE got no answer, so maybe it has not got them), nothing (Redis lost
 *   the keys) or no answer → it sends its own events. Every key expires.
 *   Add and take are each one script, so an event added while the owner
 *   reads is either in what it read or opens the next window: a `SET NX`
 *   owner key beside the state would need a second round trip and leave
 *   that race open.
 * - **Unseen counts** (unseen.ts): a sorted set per (user, device,
 *   conversation), member seq, score commit time, that every process adds
 *   to and trims (not a counter: a repeated event counts once, and a read up
 *   to seq N leaves the later ones counted).
 * - **Last preview** (shown.ts): `ps:{user}:device:conversation`, the id of
 *   the message the device's newest notification of the conversation
 *   previewed (SET on each chat send, 7 days), read by a recall or a delete
 *   for me (GET per subscribed device not live).
 *
 * Cost in Redis commands (round trips), Redis up. A notification whose
 * window saw only this process's events: 1 presence read when routing each
 * appended batch (only for devices not live here that would be notified),
 * JOIN 1, TAKE 1, 1 presence read when the window closes, and for chat 1
 * unseen script: 4, or 5 for chat. Each event another process adds to a
 * window: its presence read, JOIN 1, its watch's TAKE 1, and the owner's
 * CONFIRM once per window that had such events. A device coming live: 1 SET.
 * Memory: a window hash (~200 B + one event's JSON + ≤1000 marks) for
 * windowMs, a tombstone for windowMs + 2·grace, unseen sets ≤1000 members
 * for 7 days after their last change.
 */

/** Where a notification collapses: one device of one user, one collapse key. */
export interface WindowKey {
  userId: string;
  deviceId: string;
  collapseKey: string;
}

/** What a window needs to know of an item to share it with other processes. */
export interface Shareable {
  /** Newest wins: the seq of a chat message, else the commit time. */
  rank: number;
  /** The event, as JSON; the owner decodes the newest one. */
  json: string;
  forced: boolean;
  /** A chat message's seq and commit time, for the unseen count. */
  mark: { seq: number; at: number } | null;
}

/** What other processes added to a window this process sends. */
export interface Joined {
  count: number;
  /** JSON of the newest of them. */
  newest: string | null;
  forced: boolean;
  marks: { seq: number; at: number }[];
}

/** One window's worth, to be sent as one notification: this process's items and what others added. */
export interface Batch<T> {
  key: WindowKey;
  items: T[];
  joined: Joined | null;
}

/** How long past a window's end a process that added to it waits for its owner before acting itself. */
export const SHARE_GRACE_MS = 2000;
/** Chat messages another process adds to one window that are counted one by one (more still count in `n`). */
const MAX_MARKS = 1000;

/**
 * JOIN. KEYS[1]: the window. ARGV: token, open ttl, join ttl, rank, json,
 * forced ("1"/"0"), seq ("" if none), at, max marks. Answers the owner's
 * token: the caller's own when it opened the window.
 */
const JOIN_SCRIPT = `
local owner = redis.call('HGET', KEYS[1], 'o')
if not owner then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'o', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return ARGV[1]
end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local r = redis.call('HGET', KEYS[1], 'r')
if not r or tonumber(ARGV[4]) >= tonumber(r) then redis.call('HSET', KEYS[1], 'r', ARGV[4], 'e', ARGV[5]) end
if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'f', '1') end
if ARGV[7] ~= '' and n <= tonumber(ARGV[9]) then redis.call('HSET', KEYS[1], 's' .. ARGV[7], ARGV[8]) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return owner
`;

/**
 * TAKE. KEYS[1]: the window, KEYS[2]: its tombstones. ARGV: token,
 * tombstone ttl. {"took", fields} if the window was still open under that
 * token (now deleted; a tombstone "p" if others had added to it), else
 * {"taken", "p"|"d"} or {"gone"}.
 */
const TAKE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then
  local fields = redis.call('HGETALL', KEYS[1])
  if redis.call('HEXISTS', KEYS[1], 'n') == 1 then
    redis.call('HSET', KEYS[2], ARGV[1], 'p')
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
  end
  redis.call('DEL', KEYS[1])
  return {'took', fields}
end
local t = redis.call('HGET', KEYS[2], ARGV[1])
if t then return {'taken', t} end
return {'gone'}
`;

/** CONFIRM. KEYS[1]: tombstones. ARGV: token. "p" → "d" (an expired tombstone stays expired). */
const CONFIRM_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], 'd') end
return 1
`;

type TakeReply = ["took", string[]] | ["taken", string] | ["gone"];

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** JOIN_SCRIPT (shared-windows.ts). */
    courierPushJoin(window: string, ...args: (string | number)[]): Result<string, Context>;
    /** TAKE_SCRIPT (shared-windows.ts). */
    courierPushTake(window: string, tombstones: string, token: string, ttlMs: number): Result<TakeReply, Context>;
    /** CONFIRM_SCRIPT (shared-windows.ts). */
    courierPushConfirm(tombstones: string, token: string): Result<number, Context>;
  }
}

const windowKey = (k: WindowKey) => `pw:{${k.userId}}:${k.deviceId}:${k.collapseKey}`;
const tombstonesKey = (k: WindowKey) => `pwt:{${k.userId}}:${k.deviceId}:${k.collapseKey}`;
const localKey = (k: WindowKey) => `${k.userId}|${k.deviceId}|${k.collapseKey}`;

interface Open {
  key: WindowKey;
  /** The window's token in Redis; null: a window of this process alone (no Redis). */
  token: string | null;
}

export interface SharedWindowsOptions<T> {
  windowMs: number;
  graceMs?: number;
  timers?: Timers;
  guard: RedisGuard;
  share: (item: T) => Shareable;
  /** A window ends: send it. */
  send: (batch: Batch<T>) => Promise<void>;
  /** Runs a promise in the background, counted until it settles (PushService.track). */
  track: (p: Promise<unknown>) => void;
}

/**
 * Collapse windows shared by the processes of a cluster (see the top of this
 * file); without a Redis link (or while it does not answer) exactly the
 * windows of one process (`CollapseWindows`).
 */
export class SharedWindows<T> {
  /** Windows this process opened (and sends), by localKey. */
  private readonly owned: CollapseWindows<T>;
  private readonly open = new Map<string, Open>();
  /** Windows of other processes this process added to, by `localKey|token`; items kept in case it must send them itself. */
  private readonly watched: CollapseWindows<T>;
  private readonly watching = new Map<string, Open & { token: string }>();
  private serial = 0;
  private readonly graceMs: number;

  constructor(private readonly opts: SharedWindowsOptions<T>) {
    this.graceMs = opts.graceMs ?? SHARE_GRACE_MS;
    this.owned = new CollapseWindows<T>(opts.windowMs, (local, items) => opts.track(this.closeOwned(local, items)), opts.timers);
    this.watched = new CollapseWindows<T>(opts.windowMs + this.graceMs, (watch, items) => opts.track(this.closeWatched(watch, items)), opts.timers);
    const link = opts.guard.link;
    if (link) {
      defineScript(link.command, "courierPushJoin", 1, JOIN_SCRIPT);
      defineScript(link.command, "courierPushTake", 2, TAKE_SCRIPT);
      defineScript(link.command, "courierPushConfirm", 1, CONFIRM_SCRIPT);
    }
  }

  /**
   * Adds an item: "opened" when it started a window this process sends,
   * "joined" when it went into an open one (here or on another process).
   * Callers add one key's items in order (PushService chains per user).
   */
  async add(key: WindowKey, item: T): Promise<"opened" | "joined"> {
    const local = localKey(key);
    if (this.owned.has(local)) return this.owned.add(local, item);
    const link = this.opts.guard.link;
    const token = link ? `${link.nodeId}:${++this.serial}` : null;
    const s = this.opts.share(item);
    const owner =
      token &&
      (await this.opts.guard.run((redis) =>
        redis.courierPushJoin(
          windowKey(key),
          token,
          this.opts.windowMs + this.graceMs,
          this.opts.windowMs + 2 * this.graceMs,
          s.rank,
          s.json,
          s.forced ? "1" : "0",
          s.mark?.seq ?? "",
          s.mark?.at ?? 0,
          MAX_MARKS,
        ),
      ));
    if (this.owned.has(local)) return this.owned.add(local, item);
    if (!owner || owner === token) {
      this.open.set(local, { key, token: owner });
      return this.owned.add(local, item);
    }
    const watch = `${local}|${owner}`;
    if (!this.watching.has(watch)) this.watching.set(watch, { key, token: owner });
    this.watched.add(watch, item);
    return "joined";
  }

  private async closeOwned(local: string, items: T[]): Promise<void> {
    const open = this.open.get(local)!;
    this.open.delete(local);
    // Taken by a process that joined (this one was too late): it sent what it found; these are ours alone.
    const joined = open.token ? await this.take(open.key, open.token) : null;
    await this.opts.send({ key: open.key, items, joined: joined === "done" || joined === "unknown" ? null : joined });
  }

  private async closeWatched(watch: string, items: T[]): Promise<void> {
    const { key, token } = this.watching.get(watch)!;
    this.watching.delete(watch);
    const joined = await this.take(key, token);
    if (joined === "done") return;
    // The owner died before sending: what it had of its own is lost with it, what was added is here.
    if (joined !== "unknown") return this.opts.send({ key, items: [], joined });
    await this.opts.send({ key, items, joined: null });
  }

  /**
   * TAKE under `token`: what others added ("took"; confirmed once held),
   * "done" when the owner took it and confirmed, else "unknown" (maybe
   * not sent: the caller sends its own items).
   */
  private async take(key: WindowKey, token: string): Promise<Joined | "done" | "unknown"> {
    const tombstones = tombstonesKey(key);
    const reply = await this.opts.guard.run((redis) => redis.courierPushTake(windowKey(key), tombstones, token, this.opts.windowMs + 2 * this.graceMs));
    if (!reply) return "unknown";
    if (reply[0] === "taken") return reply[1] === "d" ? "done" : "unknown";
    if (reply[0] === "gone") return "unknown";
    const joined = parseJoined(reply[1]);
    if (joined.count > 0) await this.opts.guard.run((redis) => redis.courierPushConfirm(tombstones, token));
    return joined;
  }

  /** Closes every window now (shutdown, tests). Windows of others this process added to are taken now too: maybe one notification too many, never one missing. */
  flushAll(): void {
    this.owned.flushAll();
    this.watched.flushAll();
  }

  /** Forgets every window without sending. */
  clear(): void {
    this.owned.clear();
    this.watched.clear();
    this.open.clear();
    this.watching.clear();
  }

  /** Windows this process will send. */
  get ownedSize(): number {
    return this.owned.size;
  }

  /** Windows open here, also those of others this process added to. */
  get size(): number {
    return this.owned.size + this.watched.size;
  }
}

function parseJoined(fields: string[]): Joined {
  const joined: Joined = { count: 0, newest: null, forced: false, marks: [] };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [name, value] = [fields[i]!, fields[i + 1]!];
    if (name === "n") joined.count = Number(value);
    else if (name === "e") joined.newest = value;
    else if (name === "f") joined.forced = value === "1";
    else if (name.startsWith("s")) joined.marks.push({ seq: Number(name.slice(1)), at: Number(value) });
  }
  return joined;
}
