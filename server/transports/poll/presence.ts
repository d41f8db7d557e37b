import { randomUUID } from "node:crypto";
import { type EphemeralFrame, type Entry, POLL_EPHEMERAL_MAX, streamCloseSchema, TYPING_SHOWN_MS } from "../../../shared/protocol/index.js";
import type { RedisLink } from "../../cluster/redis-link.js";
import type { CloseReason, Connection, Hub } from "../../sync/hub.js";
import { within } from "../../within.js";
import type { PollWaiter } from "./waiter.js";

/** Parked polls one device (and session) may hold; a newer one answers the oldest. */
export const MAX_PARKED_PER_DEVICE = 2;

/**
 * A presence closed while no poll was parked cannot say why at once: its
 * device's next poll (within this) is answered with the reason instead.
 */
export const UNTOLD_CLOSE_MS = 60_000;
/** A poll waits no longer than this for Redis to say whether its device has a reason to hear. */
const UNTOLD_READ_MS = 250;

/**
 * Close reasons a device has not heard yet (`UNTOLD_CLOSE_MS`), said once.
 * Without sticky sessions its next poll may reach any process, so with a
 * Redis link a reason is kept there (`uc:{user}:<session>/<device>`,
 * expiring), and here only when Redis can't take it; a poll takes it from
 * wherever it is.
 */
export class UntoldCloses {
  private readonly local = new Map<string, { reason: CloseReason; until: number }>();

  constructor(private readonly deps: { now: () => number; link?: RedisLink | null }) {}

  remember(userId: string, key: string, reason: CloseReason): void {
    const link = this.deps.link;
    if (!link?.up) return this.keepHere(userId, key, reason);
    link.command.set(redisKey(userId, key), reason, "PX", UNTOLD_CLOSE_MS).catch(() => this.keepHere(userId, key, reason));
  }

  /** The reason the device has yet to hear, if any, forgotten once taken. */
  async take(userId: string, key: string): Promise<CloseReason | null> {
    const here = this.local.get(`${userId}|${key}`);
    this.local.delete(`${userId}|${key}`);
    const link = this.deps.link;
    const shared = link?.up ? await within(link.command.getdel(redisKey(userId, key)), UNTOLD_READ_MS, null) : null;
    if (here && here.until > this.deps.now()) return here.reason;
    const parsed = streamCloseSchema.shape.reason.safeParse(shared);
    return parsed.success ? parsed.data : null;
  }

  private keepHere(userId: string, key: string, reason: CloseReason): void {
    const now = this.deps.now();
    for (const [k, v] of this.local) if (v.until <= now) this.local.delete(k);
    this.local.set(`${userId}|${key}`, { reason, until: now + UNTOLD_CLOSE_MS });
  }
}

// `uc`: untold close (`pu:` is Web Push's unseen counts, server/push/unseen.ts).
const redisKey = (userId: string, key: string) => `uc:{${userId}}:${key}`;

/**
 * A long-polling device as the hub sees it: one connection per (session,
 * device) on each process its polls reach, registered while a poll waits and
 * for `wait` + grace after the last one ended, so the device counts as live
 * between polls (devices list, `countByTransport`, "is anyone listening" for
 * offline notifications). Its id, `poll:<session>/<device>@<process>`, is
 * this process's own; the caps count the device's presences on every process
 * as one connection (`linkOf`).
 *
 *   first poll ──▶ registered ──(polls come and go)──▶ last poll ended
 *        ▲                                                  │ linger timer
 *        └──────────── a new poll cancels the timer ◀───────┤
 *                                                           ▼
 *                              expired / closed by the hub: unregistered
 *
 * Appends wake every waiting poll, which reads storage again: answers come
 * from storage, in version order, never from what the hub happened to carry.
 */
export class PollPresence implements Connection {
  readonly transport = "poll" as const;
  private readonly waiters = new Set<PollWaiter>();
  private lingerUntil = 0;
  private expiry: NodeJS.Timeout | null = null;
  private closedBy: CloseReason | null = null;
  /** Ephemeral frames (typing) not yet answered, with when they came: the next answer takes those still fresh. */
  private frames: { frame: EphemeralFrame; at: number }[] = [];

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly deviceId: string,
    readonly sessionId: string,
    private readonly deps: {
      hub: Hub;
      now: () => number;
      maxParked: number;
      /** `untold`: a reason the device still has to hear (no poll was parked to carry it). */
      onGone: (p: PollPresence, untold?: CloseReason) => void;
    },
    closedBy: CloseReason | null = null,
  ) {
    this.closedBy = closedBy;
  }

  push(_entries: Entry[]): void {
    for (const w of this.waiters) w.signal("woken");
  }

  /**
   * Typing (server/presence/): kept for the device's next answer, and a
   * parked poll answers at once with it. Kept on this process only: a next
   * poll that lands on another process does not get it (typing is lossy).
   */
  ephemeral(frame: EphemeralFrame): void {
    if (this.closedBy) return;
    this.frames.push({ frame, at: this.deps.now() });
    if (this.frames.length > POLL_EPHEMERAL_MAX) this.frames.splice(0, this.frames.length - POLL_EPHEMERAL_MAX);
    for (const w of this.waiters) w.signal("woken");
  }

  /** Whether an answer now would carry ephemeral frames. */
  get hasEphemeral(): boolean {
    return this.frames.length > 0;
  }

  /** The frames still fresh (younger than an indicator lasts), forgotten once taken. */
  takeEphemeral(): EphemeralFrame[] {
    const since = this.deps.now() - TYPING_SHOWN_MS;
    const fresh = this.frames.filter((f) => f.at > since).map((f) => f.frame);
    this.frames = [];
    return fresh;
  }

  /** From the hub, which has already unregistered us. */
  close(reason: CloseReason): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    this.clearExpiry();
    const told = this.waiters.size > 0;
    for (const w of this.waiters) w.signal(reason);
    this.waiters.clear();
    this.deps.onGone(this, told || reason !== "too_many_connections" ? undefined : reason);
  }

  /** A poll begins: over the cap, the oldest waiting one is answered at once. */
  join(waiter: PollWaiter): void {
    if (this.closedBy) {
      waiter.signal(this.closedBy);
      return;
    }
    this.clearExpiry();
    while (this.waiters.size >= this.deps.maxParked) {
      const oldest = this.waiters.values().next().value!;
      this.waiters.delete(oldest);
      oldest.signal("superseded");
    }
    this.waiters.add(waiter);
  }

  /** A poll ended; the device stays live for `lingerMs` more unless another poll comes. */
  leave(waiter: PollWaiter, lingerMs: number): void {
    this.waiters.delete(waiter);
    if (this.closedBy) return;
    const now = this.deps.now();
    this.lingerUntil = Math.max(this.lingerUntil, now + lingerMs);
    if (this.waiters.size > 0) return;
    this.clearExpiry();
    this.expiry = setTimeout(() => this.expire(), this.lingerUntil - now);
    // A lingering presence must not keep a stopping process alive.
    this.expiry.unref();
  }

  get waiting(): number {
    return this.waiters.size;
  }

  private expire(): void {
    this.expiry = null;
    if (this.closedBy || this.waiters.size > 0) return;
    // Done for good: the next poll of the device gets a fresh presence from `enter`.
    this.closedBy = "shutdown";
    this.deps.hub.remove(this);
    this.deps.onGone(this);
  }

  private clearExpiry(): void {
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = null;
  }
}

/** The presences of this process, by session and device; only a cache of live connections. */
export class PollPresences {
  private readonly byKey = new Map<string, PollPresence>();
  private readonly untold: UntoldCloses;
  /** This process, in every presence id: a close by id reaches this process's presence only. */
  private readonly nodeId: string;

  constructor(private readonly deps: { hub: Hub; now: () => number; maxParked?: number; link?: RedisLink | null }) {
    this.untold = new UntoldCloses({ now: deps.now, link: deps.link });
    this.nodeId = deps.link?.nodeId ?? randomUUID();
  }

  /**
   * The device's presence, registered with the hub (created if it has none).
   * After a close the device has not heard of (here or on another process),
   * a closed presence: the poll answers with the reason at once, and the
   * next one starts afresh.
   */
  async enter(userId: string, deviceId: string, sessionId: string): Promise<PollPresence> {
    const key = `${sessionId}/${deviceId}`;
    const live = this.byKey.get(key);
    if (live) return live;
    const deps = {
      hub: this.deps.hub,
      now: this.deps.now,
      maxParked: this.deps.maxParked ?? MAX_PARKED_PER_DEVICE,
      onGone: (p: PollPresence, untold?: CloseReason) => {
        if (this.byKey.get(key) === p) this.byKey.delete(key);
        if (untold) this.untold.remember(userId, key, untold);
      },
    };
    const id = `poll:${key}@${this.nodeId}`;
    const untold = await this.untold.take(userId, key);
    if (untold) return new PollPresence(id, userId, deviceId, sessionId, deps, untold);
    // Another poll of the device may have registered it while we asked.
    const raced = this.byKey.get(key);
    if (raced) return raced;
    const presence = new PollPresence(id, userId, deviceId, sessionId, deps);
    this.byKey.set(key, presence);
    this.deps.hub.add(presence);
    return presence;
  }

  /** Answers every waiting poll and forgets every presence. */
  closeAll(reason: CloseReason): void {
    for (const p of [...this.byKey.values()]) {
      this.deps.hub.remove(p);
      p.close(reason);
    }
  }

  get size(): number {
    return this.byKey.size;
  }
}
