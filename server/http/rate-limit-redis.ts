import type { Redis, Result } from "ioredis";
import type { RedisLink, RedisLinkOptions } from "../cluster/redis-link.js";
import type { RateLimit } from "../config.js";
import type { BucketStore, MemoryBuckets } from "./rate-limit.js";

/**
 * Rate-limit buckets in Redis, so the limits hold for the whole cluster
 * (protocol: "Limits (RATE_*) are per cluster when REDIS_URL is set").
 *
 * The same integer bucket as `MemoryBuckets`, in one Lua script per take or
 * give-back (atomic, one round trip), on the Redis server's clock: processes
 * whose clocks disagree still share one schedule. A bucket is a hash
 * `rl:<limit name>:<key>` {credit, at} that expires once it would be full
 * again (a full bucket carries no information, as in memory). No hash tag:
 * each script touches one key, so buckets spread over a Redis Cluster's
 * shards.
 *
 * Returns nil (null) when a take is allowed or for a give-back, else the wait
 * in ms. Numbers are written with %d: Lua's own conversion may use exponents.
 */
const BUCKET_SCRIPT = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local capacity = limit * window
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local credit, at = capacity, now
local stored = redis.call('HMGET', KEYS[1], 'credit', 'at')
if stored[1] then
  local last = tonumber(stored[2])
  -- A clock that steps backwards refills nothing rather than draining the bucket.
  credit = math.min(capacity, tonumber(stored[1]) + math.max(0, now - last) * limit)
  at = math.max(now, last)
end
local wait = false
if ARGV[3] == 'give' then
  credit = math.min(capacity, credit + window)
elseif credit >= window then
  credit = credit - window
else
  wait = math.max(1, math.ceil((window - credit) / limit))
end
if credit >= capacity then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'credit', string.format('%d', credit), 'at', string.format('%d', at))
  redis.call('PEXPIRE', KEYS[1], string.format('%d', at - now + math.ceil((capacity - credit) / limit)))
end
return wait
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** BUCKET_SCRIPT, defined on a connection by `RedisBuckets`. */
    courierRateLimit(key: string, limit: number, windowMs: number, op: "take" | "give"): Result<number | null, Context>;
  }
}

/** Connections that have BUCKET_SCRIPT defined (once each, whatever the number of limits). */
const defined = new WeakSet<Redis>();

/** A take waits this long for Redis before this process decides alone. */
export const REDIS_TAKE_TIMEOUT_MS = 200;

/** Where a limiter's outage notes go (the app's logger). */
export type LimitsLog = RedisLinkOptions["log"];

/**
 * One limit's buckets in Redis. Rejects when the link is down, when Redis
 * answers with an error, or when it takes longer than `timeoutMs`; the caller
 * falls back (`SharedBuckets`).
 */
export class RedisBuckets implements BucketStore {
  constructor(
    private readonly link: RedisLink,
    private readonly name: string,
    private readonly rule: RateLimit,
    private readonly timeoutMs = REDIS_TAKE_TIMEOUT_MS,
  ) {
    // Runs by EVALSHA, and by EVAL after a NOSCRIPT (a restarted Redis).
    if (!defined.has(link.command)) link.command.defineCommand("courierRateLimit", { numberOfKeys: 1, lua: BUCKET_SCRIPT });
    defined.add(link.command);
  }

  take(key: string): Promise<number | null> {
    return this.run(key, "take");
  }

  async giveBack(key: string): Promise<void> {
    await this.run(key, "give");
  }

  private run(key: string, op: "take" | "give"): Promise<number | null> {
    if (!this.link.up) return Promise.reject(new Error("the redis link is down"));
    const reply = this.link.command.courierRateLimit(`rl:${this.name}:${key}`, this.rule.limit, this.rule.windowMs, op);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis took over ${this.timeoutMs} ms`)), this.timeoutMs).unref();
    });
    // A late reply may still spend a token in Redis: a stricter limit for a moment, never a looser one.
    return Promise.race([reply, timeout]).finally(() => clearTimeout(timer));
  }
}

/**
 * Whether this process's limits are per process right now because Redis
 * could not answer, shared by its limiters: a warning when an outage begins
 * and a note when Redis answers again, once each per outage.
 */
export class RedisOutage {
  private down = false;

  constructor(private readonly log: LimitsLog) {}

  /** `shared()` while Redis answers it, else `local()`. Never rejects because of Redis. */
  async attempt<T>(shared: () => Promise<T>, local: () => T): Promise<T> {
    let result: T;
    try {
      result = await shared();
    } catch (err) {
      if (!this.down) this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "rate limits are per process while Redis is down");
      this.down = true;
      return local();
    }
    if (this.down) this.log.info({}, "rate limits are per cluster again: Redis answers");
    this.down = false;
    return result;
  }
}

/** Redis buckets with this process's own as the fallback for each take Redis can't answer. */
export class SharedBuckets implements BucketStore {
  constructor(
    private readonly redis: RedisBuckets,
    private readonly local: MemoryBuckets,
    private readonly outage: RedisOutage,
  ) {}

  take(key: string): Promise<number | null> {
    return this.outage.attempt(
      () => this.redis.take(key),
      () => this.local.take(key),
    );
  }

  giveBack(key: string): Promise<void> {
    return this.outage.attempt(
      () => this.redis.giveBack(key),
      () => this.local.giveBack(key),
    );
  }
}
