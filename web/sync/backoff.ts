import { systemClock, type Clock } from "../../shared/sync/types.js";

/**
 * "Full jitter" exponential backoff: a random delay between 0 and
 * min(cap, base·2^attempt), so clients that lost the same server do not
 * come back in lockstep.
 */
export function fullJitter(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(random() * ceiling);
}

export interface BackoffTimings {
  baseMs: number;
  /** Cap while the page is visible: a link back after an outage is noticed within seconds. */
  capMs: number;
  /** Cap while hidden, and for refusals (retrying will not fix those by itself): nobody is waiting. */
  hiddenCapMs: number;
}

/** docs/delivery.md: base 500 ms, capped at 5 s while visible and 30 s while hidden. */
export const RECONNECT_BACKOFF: BackoffTimings = { baseMs: 500, capMs: 5_000, hiddenCapMs: 30_000 };

export interface BackoffOptions {
  clock?: Clock;
  random?: () => number;
  timings?: Partial<BackoffTimings>;
  /** The first attempt after a reset goes at once; only repeats back off (a server that keeps asking for a snapshot). */
  immediateFirst?: boolean;
}

/**
 * When a transport tries its lost link again. One per transport instance:
 * full jitter over the failures since the link last proved itself, capped by
 * the page's visibility, and never earlier than the server asked
 * (`Retry-After`, `retryAfterMs` on a refusal or a `close` event), not even
 * on a wake-up.
 */
export class Backoff {
  private failures = 0;
  private notBefore = Number.NEGATIVE_INFINITY;
  private hidden = false;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly timings: BackoffTimings;

  constructor(private readonly opts: BackoffOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.timings = { ...RECONNECT_BACKOFF, ...opts.timings };
  }

  setHidden(hidden: boolean): void {
    this.hidden = hidden;
  }

  /**
   * The delay before the next attempt, after a failure; each call backs off
   * further. `retryAfterMs`: the server's ask, from now. `patient`: a
   * refusal, capped like a hidden page.
   */
  next(opts: { retryAfterMs?: number | undefined; patient?: boolean } = {}): number {
    const cap = this.hidden || opts.patient ? this.timings.hiddenCapMs : this.timings.capMs;
    const attempt = this.failures++ - (this.opts.immediateFirst ? 1 : 0);
    const delay = attempt < 0 ? 0 : fullJitter(attempt, this.timings.baseMs, cap, this.random);
    const now = this.clock.now();
    if (opts.retryAfterMs !== undefined && opts.retryAfterMs > 0) this.notBefore = Math.max(this.notBefore, now + opts.retryAfterMs);
    return Math.max(delay, this.notBefore - now);
  }

  /** What is left of the server's ask: 0 when an attempt may start at once (a wake-up). */
  remaining(): number {
    return Math.max(0, this.notBefore - this.clock.now());
  }

  /** The link proved itself: the next failure starts from the base again. The server's ask stands. */
  reset(): void {
    this.failures = 0;
  }
}

/** A server's `retryAfterMs`, if `data` carries a sensible one (a refusal's or a close event's data). */
export function retryAfterIn(data: unknown): number | undefined {
  if (!data || typeof data !== "object" || !("retryAfterMs" in data)) return undefined;
  const wait = data.retryAfterMs;
  return typeof wait === "number" && Number.isFinite(wait) && wait > 0 ? wait : undefined;
}

/**
 * The wait between two connections of one transport, shared by ws, sse and
 * poll: the backoff, the timer, and wake-ups that never beat the server's
 * ask. The transport's `waiting` state owns it: leaving that state cancels it.
 */
export class Reconnector {
  private readonly backoff: Backoff;
  private timer: unknown = null;
  private readonly clock: Clock;

  /** `reconnect`: opens the next connection (and leaves the waiting state). */
  constructor(
    private readonly reconnect: () => void,
    opts: Omit<BackoffOptions, "immediateFirst"> = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.backoff = new Backoff(opts);
  }

  setHidden(hidden: boolean): void {
    this.backoff.setHidden(hidden);
  }

  /** The link proved itself: the next failure backs off from the base again. */
  reset(): void {
    this.backoff.reset();
  }

  /** After a failure: reconnect after the backoff, never before the server's ask. Returns the delay. */
  afterFailure(opts: { retryAfterMs?: number | undefined; patient?: boolean } = {}): number {
    const delay = this.backoff.next(opts);
    this.arm(delay);
    return delay;
  }

  /** Reconnect after `delayMs` (a repeated reset), but not before the server's ask either. */
  after(delayMs: number): void {
    this.arm(Math.max(delayMs, this.backoff.remaining()));
  }

  /** A wake-up: reconnect now, unless the server asked to wait longer; then at the end of that wait. */
  hurry(): void {
    if (this.timer === null) return;
    const rest = this.backoff.remaining();
    if (rest > 0) return this.arm(rest);
    this.cancel();
    this.reconnect();
  }

  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(delayMs: number): void {
    this.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.reconnect();
    }, delayMs);
  }
}
