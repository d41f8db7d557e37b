import type { Redis } from "ioredis";
import type { RedisLink } from "../cluster/redis-link.js";

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

const defined = new WeakMap<Redis, Set<string>>();

/**
 * Defines a Lua script as a command of `redis` (once per connection): it
 * runs by EVALSHA, and by EVAL after a NOSCRIPT (a restarted Redis).
 */
export function defineScript(redis: Redis, name: string, numberOfKeys: number, lua: string): void {
  let names = defined.get(redis);
  if (!names) defined.set(redis, (names = new Set()));
  if (names.has(name)) return;
  redis.defineCommand(name, { numberOfKeys, lua });
  names.add(name);
}

/** A Redis answer slower than this is no answer: the push service decides alone. */
export const PUSH_REDIS_TIMEOUT_MS = 500;

/**
 * The push service's way to Redis (shared-windows.ts, unseen.ts) and its
 * fallback: `run` answers null when there is no link (one process), the link
 * is down, Redis answers with an error or not within the timeout; the caller
 * then decides from this process alone. The first fallback of an outage is
 * logged (a warning), and so is the first answer after it (a note).
 */
export class RedisGuard {
  /** Redis did not answer the last command. */
  private unanswered = false;
  /** Presence said "not known" the last time. */
  private presenceUnknown = false;
  private degraded = false;

  constructor(
    readonly link: RedisLink | null,
    private readonly log: Log,
    private readonly timeoutMs = PUSH_REDIS_TIMEOUT_MS,
  ) {}

  /** The reply of `op`, or null when Redis cannot be asked or did not answer (see above). Never rejects. */
  async run<T>(op: (redis: Redis) => Promise<T>): Promise<T | null> {
    const link = this.link;
    if (!link) return null;
    if (!link.up) return this.fellBack("the redis link is down");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis took over ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    try {
      const reply = await Promise.race([op(link.command), late]);
      this.unanswered = false;
      this.note();
      return reply;
    } catch (err) {
      return this.fellBack(err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
    }
  }

  /** What cluster presence answered: known, or "not known" (the same fallback, noted the same way). */
  presence(known: boolean): void {
    if (!this.link) return;
    this.presenceUnknown = !known;
    this.note(known ? undefined : "cluster presence is not known");
  }

  private fellBack(why: string): null {
    this.unanswered = true;
    this.note(why);
    return null;
  }

  /** Logs the start of an outage (Redis or presence failing) and its end (both answering), once each. */
  private note(why?: string): void {
    const degraded = this.unanswered || this.presenceUnknown;
    if (degraded === this.degraded) return;
    this.degraded = degraded;
    if (degraded) {
      this.log.warn(
        { why },
        "web push decides from this process alone while Redis does not answer: a device live on another process may get a notification too many; collapse windows and unseen counts are per process",
      );
    } else {
      this.log.info({}, "web push shares presence, collapse windows and unseen counts through Redis again");
    }
  }
}
