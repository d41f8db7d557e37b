import { LIVENESS_MISSES } from "../../shared/protocol/index.js";
import { systemClock, type Clock } from "../../shared/sync/types.js";

export interface HeartbeatTimings {
  /** Pings of a burst (after hello, and on `pingNow`)… */
  burstPings: number;
  /** …this far apart. */
  burstGapMs: number;
  /**
   * No interval shorter than this counts towards the dead window. A burst's
   * one-second gap would otherwise declare a link dead whose round trip takes
   * two seconds (a congested mobile network), and reconnecting would not help.
   */
  minIntervalMs: number;
}

export const HEARTBEAT_TIMINGS: HeartbeatTimings = {
  burstPings: 3,
  burstGapMs: 1_000,
  minIntervalMs: 2_000,
};

export interface HeartbeatOptions {
  /** H: the server's `hello.heartbeatMs`. */
  heartbeatMs: number;
  /**
   * Sends one ping, given up after `timeoutMs`. Resolves true when the answer
   * came over the link being watched (a sign of life, WebSocket), false when
   * it proves nothing about it (SSE: the answer comes over another request;
   * the sign is the `ping` event the server writes on the stream). A ping
   * that fails or times out is no sign of life.
   */
  ping(timeoutMs: number): Promise<boolean>;
  /** No sign of life for `silentMs`: the link is dead. Called once; the heartbeat has stopped by then. */
  onDead(silentMs: number): void;
  hidden?: boolean;
  /**
   * The other side sends signs at least this often by itself (SSE: a `ping`
   * event every H). The dead window is never shorter than LIVENESS_MISSES ×
   * this, as our own pings may not be echoed on the link (another server
   * process may hold the stream).
   */
  serverIntervalMs?: number;
  clock?: Clock;
  timings?: Partial<HeartbeatTimings>;
}

/**
 * The client heartbeat of docs/delivery.md ("Liveness").
 *
 * - A **burst** after hello: three pings a second apart, so a link that dies
 *   at once (a proxy that accepts and then drops) is found in seconds.
 * - Then one ping every H/2 while the page is visible, every H while hidden.
 * - `pingNow()` (page visible again, browser `online`) starts a burst again:
 *   those are the moments a link has most likely died (sleep, a new network).
 *
 * Dead: no sign of life (`alive()`: anything received; an answered ping) for
 * LIVENESS_MISSES × the interval, that is H visible and 2 × H hidden with the
 * defaults. A burst ping tightens this: some sign of life must follow it
 * within LIVENESS_MISSES × the burst gap (both never shorter than
 * LIVENESS_MISSES × `minIntervalMs`, nor the server's own interval).
 *
 * Time comes from the injected clock only; stop() cancels everything and
 * answers of pings sent before it are ignored.
 */
export class Heartbeat {
  private running = false;
  private hidden: boolean;
  private lastSignAt = 0;
  /** The first burst ping sent since the last sign of life, if any: a sign is owed within the burst window of it. */
  private burstPendingSince: number | null = null;
  private burstLeft = 0;
  private lastPingAt = 0;
  private pingTimer: unknown = null;
  private deadTimer: unknown = null;
  /** Bumped by stop(): answers of older pings are ignored. */
  private generation = 0;
  private readonly clock: Clock;
  private readonly timings: HeartbeatTimings;

  constructor(private readonly opts: HeartbeatOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timings = { ...HEARTBEAT_TIMINGS, ...opts.timings };
    this.hidden = opts.hidden ?? false;
  }

  /** The regular ping interval: H/2 visible, H hidden. */
  get intervalMs(): number {
    return this.hidden ? this.opts.heartbeatMs : this.opts.heartbeatMs / 2;
  }

  /** How long the link may stay silent outside a burst: LIVENESS_MISSES × the interval. */
  get deadAfterMs(): number {
    return this.window(this.intervalMs);
  }

  get active(): boolean {
    return this.running;
  }

  /** How long since the last sign of life (the hello, while nothing else came). */
  get silentMs(): number {
    return this.clock.now() - this.lastSignAt;
  }

  /** The hello just came (a sign of life): burst, then the regular rhythm. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastSignAt = this.clock.now();
    this.burst();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.clock.clearTimeout(this.pingTimer);
    this.clock.clearTimeout(this.deadTimer);
    this.pingTimer = null;
    this.deadTimer = null;
    this.burstLeft = 0;
    this.burstPendingSince = null;
  }

  /** A sign of life from the other side: anything received on the link. */
  alive(): void {
    if (!this.running) return;
    this.lastSignAt = this.clock.now();
    this.burstPendingSince = null;
    // The dead timer is not moved here (pushes may come by the hundred): when it fires it looks again.
  }

  /** Check the link now (page visible again, browser online): a burst, unless one is under way. */
  pingNow(): void {
    if (!this.running || this.burstLeft > 0) return;
    this.burst();
  }

  /** Visible: a ping every H/2; hidden: every H. Takes effect from the last ping sent. */
  setHidden(hidden: boolean): void {
    if (hidden === this.hidden) return;
    this.hidden = hidden;
    if (!this.running) return;
    if (this.burstLeft === 0) this.schedulePing(Math.max(0, this.lastPingAt + this.intervalMs - this.clock.now()));
    this.armDead();
  }

  // ── internals ──────────────────────────────────────────────────────────

  private burst(): void {
    this.burstLeft = this.timings.burstPings;
    this.tick();
  }

  private tick(): void {
    this.pingTimer = null;
    const now = this.clock.now();
    const inBurst = this.burstLeft > 0;
    if (inBurst) {
      this.burstLeft--;
      this.burstPendingSince ??= now;
    }
    this.lastPingAt = now;
    this.send(this.window(inBurst ? this.timings.burstGapMs : this.intervalMs));
    this.schedulePing(this.burstLeft > 0 ? this.timings.burstGapMs : this.intervalMs);
    this.armDead();
  }

  private send(timeoutMs: number): void {
    const generation = this.generation;
    let sent: Promise<boolean>;
    try {
      sent = this.opts.ping(timeoutMs);
    } catch {
      return; // not connected after all: no sign of life, the dead timer decides
    }
    sent.then(
      (provesLink) => {
        if (provesLink && generation === this.generation) this.alive();
      },
      () => {
        // A ping that failed or timed out is no sign of life; the dead timer decides.
      },
    );
  }

  private schedulePing(delayMs: number): void {
    this.clock.clearTimeout(this.pingTimer);
    this.pingTimer = this.clock.setTimeout(() => this.tick(), delayMs);
  }

  /** When the link counts as dead if nothing arrives before. */
  private deadline(): number {
    const regular = this.lastSignAt + this.deadAfterMs;
    if (this.burstPendingSince === null) return regular;
    return Math.min(regular, this.burstPendingSince + this.window(this.timings.burstGapMs));
  }

  private armDead(): void {
    this.clock.clearTimeout(this.deadTimer);
    this.deadTimer = this.clock.setTimeout(() => this.checkDead(), Math.max(0, this.deadline() - this.clock.now()));
  }

  private checkDead(): void {
    this.deadTimer = null;
    if (!this.running) return;
    const now = this.clock.now();
    if (now < this.deadline()) return this.armDead(); // signs of life came meanwhile
    const silentMs = now - this.lastSignAt;
    this.stop();
    this.opts.onDead(silentMs);
  }

  private window(intervalMs: number): number {
    const floor = Math.max(this.timings.minIntervalMs, this.opts.serverIntervalMs ?? 0);
    return LIVENESS_MISSES * Math.max(intervalMs, floor);
  }
}
