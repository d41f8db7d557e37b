import type { Entry } from "../../../shared/protocol/index.js";
import type { CloseReason, Connection, Hub } from "../../sync/hub.js";
import type { PollWaiter } from "./waiter.js";

/** Parked polls one device (and session) may hold; a newer one answers the oldest. */
export const MAX_PARKED_PER_DEVICE = 2;

/**
 * A presence closed while no poll was parked cannot say why at once: its
 * device's next poll (within this) is answered with the reason instead.
 */
export const UNTOLD_CLOSE_MS = 60_000;

/**
 * A long-polling device as the hub sees it: one connection per (session,
 * device), registered while a poll waits and for `wait` + grace after the
 * last one ended, so the device counts as live between polls (devices list,
 * `countByTransport`, "is anyone listening" for offline notifications).
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
  /** Close reasons not yet heard by their device, until when they are kept. */
  private readonly untold = new Map<string, { reason: CloseReason; until: number }>();

  constructor(private readonly deps: { hub: Hub; now: () => number; maxParked?: number }) {}

  /**
   * The device's presence, registered with the hub (created if it has none).
   * After a close the device has not heard of, a closed presence: the poll
   * answers with the reason at once, and the next one starts afresh.
   */
  enter(userId: string, deviceId: string, sessionId: string): PollPresence {
    const key = `${sessionId}/${deviceId}`;
    let presence = this.byKey.get(key);
    if (presence) return presence;
    const deps = {
      hub: this.deps.hub,
      now: this.deps.now,
      maxParked: this.deps.maxParked ?? MAX_PARKED_PER_DEVICE,
      onGone: (p: PollPresence, untold?: CloseReason) => {
        if (this.byKey.get(key) === p) this.byKey.delete(key);
        if (untold) this.remember(key, untold);
      },
    };
    const untold = this.untold.get(key);
    this.untold.delete(key);
    if (untold && untold.until > this.deps.now()) return new PollPresence(`poll:${key}`, userId, deviceId, sessionId, deps, untold.reason);
    presence = new PollPresence(`poll:${key}`, userId, deviceId, sessionId, deps);
    this.byKey.set(key, presence);
    this.deps.hub.add(presence);
    return presence;
  }

  private remember(key: string, reason: CloseReason): void {
    const now = this.deps.now();
    for (const [k, v] of this.untold) if (v.until <= now) this.untold.delete(k);
    this.untold.set(key, { reason, until: now + UNTOLD_CLOSE_MS });
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
