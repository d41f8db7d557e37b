import type { IncomingMessage } from "node:http";
import proxyAddr from "@fastify/proxy-addr";
import { CourierError } from "../../shared/protocol/index.js";
import type { RedisLink } from "../cluster/redis-link.js";
import type { RateLimit, RateLimits } from "../config.js";
import { type LimitsLog, RedisBuckets, RedisOutage, SharedBuckets } from "./rate-limit-redis.js";

/**
 * Where a limiter's token buckets live: this process's memory
 * (`MemoryBuckets`), or Redis, shared by every process of the cluster
 * (`./rate-limit-redis.ts`). Both keep the same integer bucket: one token is
 * `windowMs` credit units, a bucket holds `limit` tokens and gains `limit`
 * units per millisecond, so a burst of `limit` passes and then one more every
 * `windowMs / limit`, and no float rounding lets a request through early or
 * holds one back.
 */
export interface BucketStore {
  /** Takes one token: null when allowed, otherwise how many ms until one is available. */
  take(key: string): Promise<number | null> | number | null;
  /** Returns a token taken for something that turned out not to count. */
  giveBack(key: string): Promise<void> | void;
}

interface Bucket {
  credit: number;
  at: number;
}

/** Keys are swept once this many takes have happened, and whenever the map outgrows `maxKeys`. */
const SWEEP_EVERY = 1000;

/** Buckets in this process's memory, on the injected clock: the limits of one process. */
export class MemoryBuckets implements BucketStore {
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

  take(key: string): number | null {
    if (this.rule.limit <= 0) return null;
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

/** One limit (a rule and where its buckets live), as the routes use it. */
export class RateLimiter {
  constructor(
    private readonly rule: RateLimit,
    private readonly store: BucketStore,
  ) {}

  get enabled(): boolean {
    return this.rule.limit > 0;
  }

  /** Takes one token: null when allowed, otherwise how many ms until one is available. */
  async take(key: string): Promise<number | null> {
    return this.enabled ? this.store.take(key) : null;
  }

  /** Like `take`, but refuses with `rate_limited` (HTTP 429 + Retry-After). */
  async enforce(key: string, what: string): Promise<void> {
    const wait = await this.take(key);
    if (wait === null) return;
    const seconds = Math.ceil(wait / 1000);
    throw new CourierError("rate_limited", `Too many ${what}; try again in ${seconds} s.`, wait);
  }

  /** Returns a token taken for something that turned out not to count (a successful login). */
  async giveBack(key: string): Promise<void> {
    if (this.enabled) await this.store.giveBack(key);
  }
}

/** Every rule of `RateLimits` (all but the loopback switch). */
export type LimitName = Exclude<keyof RateLimits, "exemptLoopback">;

/**
 * The server's limiters, built once per app from the configuration. Per
 * process by default; per cluster with a Redis link (REDIS_URL), falling back
 * to per process for each take Redis can't answer, which `log` reports once
 * per outage.
 */
export class Limits implements Record<LimitName, RateLimiter> {
  readonly registerPerIp: RateLimiter;
  readonly loginPerIp: RateLimiter;
  readonly loginPerUsernameIp: RateLimiter;
  readonly sendPerUser: RateLimiter;
  /** Conversations created per user (server/conversations/). */
  readonly conversationsPerUser: RateLimiter;
  /** Members added per user, one token per member (server/conversations/). */
  readonly membersAddedPerUser: RateLimiter;
  readonly requestsPerIp: RateLimiter;
  readonly requestsPerUser: RateLimiter;
  /**
   * Acks and heartbeats per user, a budget of their own (the rule of
   * `requestsPerUser`): the client sends them because others' messages were
   * pushed to it, so they must not spend what the user's own requests need.
   */
  readonly upkeepPerUser: RateLimiter;
  readonly itemsPerUser: RateLimiter;
  readonly settingsPerUser: RateLimiter;
  readonly adminFailuresPerIp: RateLimiter;
  /** Reports per user (server/safety/). */
  readonly reportsPerUser: RateLimiter;
  /** Photo uploads per user (server/media/). */
  readonly mediaPerUser: RateLimiter;
  /** Client reports per user (server/observability/telemetry-routes.ts). */
  readonly telemetryPerUser: RateLimiter;

  constructor(config: RateLimits, clock: () => number);
  constructor(config: RateLimits, clock: () => number, link: RedisLink | null, log: LimitsLog);
  constructor(
    private readonly config: RateLimits,
    clock: () => number,
    link: RedisLink | null = null,
    log?: LimitsLog,
  ) {
    // One outage state for all limits: the warning comes once per outage, not once per limit.
    const shared = link && log ? { link, outage: new RedisOutage(log) } : null;
    const limiter = (name: LimitName, bucketName: string = name): RateLimiter => {
      const rule = config[name];
      const local = new MemoryBuckets(rule, clock);
      return new RateLimiter(rule, shared ? new SharedBuckets(new RedisBuckets(shared.link, bucketName, rule), local, shared.outage) : local);
    };
    this.registerPerIp = limiter("registerPerIp");
    this.loginPerIp = limiter("loginPerIp");
    this.loginPerUsernameIp = limiter("loginPerUsernameIp");
    this.sendPerUser = limiter("sendPerUser");
    this.conversationsPerUser = limiter("conversationsPerUser");
    this.membersAddedPerUser = limiter("membersAddedPerUser");
    this.requestsPerIp = limiter("requestsPerIp");
    this.requestsPerUser = limiter("requestsPerUser");
    this.upkeepPerUser = limiter("requestsPerUser", "upkeepPerUser");
    this.itemsPerUser = limiter("itemsPerUser");
    this.settingsPerUser = limiter("settingsPerUser");
    this.adminFailuresPerIp = limiter("adminFailuresPerIp");
    this.reportsPerUser = limiter("reportsPerUser");
    this.mediaPerUser = limiter("mediaPerUser");
    this.telemetryPerUser = limiter("telemetryPerUser");
  }

  /**
   * The key for per-IP limits, or null when the request is exempt: a direct
   * loopback client (no proxy header) while `exemptLoopback` is on.
   */
  clientKey(req: ClientOf): string | null {
    if (this.config.exemptLoopback && isDirectLoopback(req)) return null;
    return ipKey(req.ip);
  }

  /** Per-IP check; a no-op for exempt clients (sign-up, sign-in and request counts only). */
  async enforceIp(limiter: RateLimiter, req: ClientOf, what: string): Promise<void> {
    const key = this.clientKey(req);
    if (key !== null) await limiter.enforce(key, what);
  }

  /** Gives back the token `enforceIp` took (a successful sign-in). */
  async giveBackIp(limiter: RateLimiter, req: ClientOf): Promise<void> {
    const key = this.clientKey(req);
    if (key !== null) await limiter.giveBack(key);
  }

  /**
   * One request of a user, HTTP or socket, on its budget: `requests` (what
   * the user asks for) or `upkeep` (acks and heartbeats, which others'
   * messages cause: a budget of their own, see `upkeepPerUser`).
   */
  async enforceUser(userId: string, budget: UserBudget = "requests"): Promise<void> {
    if (budget === "upkeep") await this.upkeepPerUser.enforce(userId, "acks and heartbeats");
    else await this.requestsPerUser.enforce(userId, "requests");
  }
}

export type UserBudget = "requests" | "upkeep";

/**
 * A request as the per-address limits see it: `ip` is the client's address
 * (`clientAddress`), `raw` the request it came in. A Fastify request is one
 * (`req.ip` follows the same trust, `proxyTrust`); a socket.io handshake's is
 * made by `socketClient`.
 */
export interface ClientOf {
  readonly ip: string;
  readonly raw: IncomingMessage;
}

type Trust = (address: string, hop: number) => boolean;

/**
 * Which hops of X-Forwarded-For to believe (TRUST_PROXY): given to Fastify as
 * its `trustProxy` (app.ts), and used by `clientAddress`, so HTTP requests and
 * socket handshakes count against the same address. A number trusts that many
 * proxies nearest to us (Fastify's own number form trusts none: it fails closed).
 */
export function proxyTrust(trustProxy: boolean | number): boolean | Trust {
  return typeof trustProxy === "number" ? (_address, hop) => hop < trustProxy : trustProxy;
}

/** The client's address as Fastify works out `req.ip` under `proxyTrust(trustProxy)`: the same library, the same trust. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean | number): string {
  const trust = proxyTrust(trustProxy);
  // A socket already closed has no address left: such requests share one key rather than crash.
  return proxyAddr(req, typeof trust === "function" ? trust : () => trust) ?? "";
}

/** A raw request (a socket.io handshake) as the per-address limits see it. */
export function socketClient(raw: IncomingMessage, trustProxy: boolean | number): ClientOf {
  return { raw, ip: clientAddress(raw, trustProxy) };
}

/**
 * A client on this machine talking to us directly: a loopback peer and no
 * proxy header (a reverse proxy on the same host makes every client look like
 * loopback, but it adds X-Forwarded-For or Forwarded).
 */
export function isDirectLoopback(req: ClientOf): boolean {
  return proxyHeaderOf(req.raw) === null && isLoopback(req.raw.socket.remoteAddress) && isLoopback(req.ip);
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * A direct loopback client that also names a loopback host: what local-only
 * routes (metrics without a token, fault injection) require, so a web page
 * that rebinds its own name to 127.0.0.1 (DNS rebinding) cannot read them.
 */
export function isLocalRequest(req: ClientOf): boolean {
  const host = (req.raw.headers.host ?? "").replace(/:\d+$/, "");
  return isDirectLoopback(req) && LOOPBACK_HOSTS.has(host);
}

/** The proxy header a request carries (`x-forwarded-for`, else `forwarded`), or null. */
function proxyHeaderOf(raw: IncomingMessage): "x-forwarded-for" | "forwarded" | null {
  if (raw.headers["x-forwarded-for"] !== undefined) return "x-forwarded-for";
  return raw.headers.forwarded !== undefined ? "forwarded" : null;
}

/**
 * Behind a reverse proxy without TRUST_PROXY, every client has the proxy's
 * address, so they all share its per-address budgets (requests, sign-in,
 * sign-up): one busy office, or one attacker, locks everyone out. Nothing
 * fails loudly, so the first request carrying a proxy header while proxies
 * are not trusted is logged once (per app), naming the fix. Clients reaching
 * us directly can send the header themselves; the message says so. The
 * header's value (client addresses) is not logged, only the peer's.
 */
export function warnUntrustedProxy(raw: IncomingMessage, trustProxy: boolean | number, warnOnce: (key: string, details: object, message: string) => void): void {
  if (trustProxy !== false && trustProxy !== 0) return;
  const header = proxyHeaderOf(raw);
  if (header === null) return;
  warnOnce(
    "proxy-untrusted",
    { header, peer: raw.socket.remoteAddress ?? null },
    `A request came with ${header === "forwarded" ? "Forwarded" : "X-Forwarded-For"} but TRUST_PROXY is off, so every client behind that proxy counts as the proxy's address ` +
      "and shares its per-address limits (requests, sign-in, sign-up). Behind a reverse proxy set TRUST_PROXY=true, or the number of proxies in front of Courier. " +
      "If clients reach Courier directly, they sent the header themselves and it is rightly ignored. Logged once.",
  );
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
