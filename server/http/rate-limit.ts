import type { FastifyRequest } from "fastify";
import { CourierError } from "../../shared/protocol/index.js";
import type { RateLimit, RateLimits } from "../config.js";

/**
 * In-memory token buckets, one per key (an IP, a username, a user id). A
 * bucket holds `limit` tokens and refills at `limit` per `windowMs`, so a
 * burst of `limit` passes and then one more every `windowMs / limit`.
 *
 * State is per process: several server processes each allow the full rate.
 * That is acceptable for what this guards (password guessing, runaway
 * clients); a shared store can replace it behind the same `take`.
 *
 * Arithmetic is in integers: one token is `windowMs` credit units and a
 * bucket gains `limit` units per millisecond, so no float rounding can let a
 * request through early or hold one back.
 */
interface Bucket {
  credit: number;
  at: number;
}

/** Keys are swept once this many takes have happened, and whenever the map outgrows `maxKeys`. */
const SWEEP_EVERY = 1000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private takes = 0;

  constructor(
    private readonly rule: RateLimit,
    private readonly clock: () => number,
    /** Memory bound: beyond it the least recently touched keys are forgotten. */
    private readonly maxKeys = 50_000,
  ) {
    this.capacity = rule.limit * rule.windowMs;
  }

  get enabled(): boolean {
    return this.rule.limit > 0;
  }

  /** Takes one token: null when allowed, otherwise how many ms until one is available. */
  take(key: string): number | null {
    if (!this.enabled) return null;
    const now = this.clock();
    const bucket = this.refilled(key, now);
    const allowed = bucket.credit >= this.rule.windowMs;
    if (allowed) bucket.credit -= this.rule.windowMs;
    // Re-inserting keeps the map ordered by last use, which is what eviction drops first.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (++this.takes % SWEEP_EVERY === 0 || this.buckets.size > this.maxKeys) this.sweep(now);
    return allowed ? null : Math.max(1, Math.ceil((this.rule.windowMs - bucket.credit) / this.rule.limit));
  }

  /** Like `take`, but refuses with `rate_limited` (HTTP 429 + Retry-After). */
  enforce(key: string, what: string): void {
    const waitMs = this.take(key);
    if (waitMs === null) return;
    const seconds = Math.ceil(waitMs / 1000);
    throw new CourierError("rate_limited", `Too many ${what}; try again in ${seconds} s.`, waitMs);
  }

  /** Returns a token taken for something that turned out not to count (a successful login). */
  giveBack(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.credit = Math.min(this.capacity, bucket.credit + this.rule.windowMs);
  }

  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string, now: number): Bucket {
    const bucket = this.buckets.get(key);
    if (!bucket) return { credit: this.capacity, at: now };
    // A clock that steps backwards refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, now - bucket.at);
    return { credit: Math.min(this.capacity, bucket.credit + elapsed * this.rule.limit), at: Math.max(now, bucket.at) };
  }

  /** Full buckets carry no information: drop them; then the oldest, if still too many. */
  private sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.credit + Math.max(0, now - b.at) * this.rule.limit >= this.capacity) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}

/** The server's limiters, built once per app from the configuration. */
export class Limits {
  readonly registerPerIp: RateLimiter;
  readonly loginPerIp: RateLimiter;
  readonly loginPerUsername: RateLimiter;
  readonly sendPerUser: RateLimiter;

  constructor(
    private readonly config: RateLimits,
    clock: () => number,
  ) {
    this.registerPerIp = new RateLimiter(config.registerPerIp, clock);
    this.loginPerIp = new RateLimiter(config.loginPerIp, clock);
    this.loginPerUsername = new RateLimiter(config.loginPerUsername, clock);
    this.sendPerUser = new RateLimiter(config.sendPerUser, clock);
  }

  /**
   * The key for per-IP limits, or null when the request is exempt: a direct
   * loopback client (no proxy header) while `exemptLoopback` is on.
   */
  clientKey(req: FastifyRequest): string | null {
    if (this.config.exemptLoopback && isDirectLoopback(req)) return null;
    return ipKey(req.ip);
  }

  /** Per-IP check; a no-op for exempt clients. */
  enforceIp(limiter: RateLimiter, req: FastifyRequest, what: string): void {
    const key = this.clientKey(req);
    if (key !== null) limiter.enforce(key, what);
  }
}

/**
 * A client on this machine talking to us directly: a loopback peer and no
 * proxy header (a reverse proxy on the same host makes every client look like
 * loopback, but it adds X-Forwarded-For or Forwarded).
 */
export function isDirectLoopback(req: FastifyRequest): boolean {
  const proxied = req.headers["x-forwarded-for"] !== undefined || req.headers.forwarded !== undefined;
  return !proxied && isLoopback(req.socket.remoteAddress) && isLoopback(req.ip);
}

export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  return v4.startsWith("127.") || ip === "::1";
}

/**
 * IPv4 addresses as they are; IPv6 by /64, since one subscriber usually
 * holds a whole /64 and could otherwise rotate through it.
 */
export function ipKey(ip: string): string {
  if (ip.startsWith("::ffff:") && ip.includes(".")) return ip.slice(7);
  if (!ip.includes(":")) return ip;
  const bare = ip.split("%")[0]!.toLowerCase();
  const [head = "", tail] = bare.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
