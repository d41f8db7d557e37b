import { CourierError, PULL_LIMIT_DEFAULT, PULL_LIMIT_MAX } from "../../shared/protocol/index.js";
import type { Config } from "../config.js";

/** What a refused request is told to wait: the requests in flight are answered within this, normally. */
export const IN_FLIGHT_RETRY_MS = 500;

/**
 * A cap on concurrent work per key (a socket's pulls; a user's reads on this
 * process, `ReadLimits`). A token bucket limits how many requests start per minute;
 * this limits how many heavy ones run at once, so a burst that the bucket
 * allows still cannot pile up work. The check is synchronous, before any
 * await: a refusal costs nothing but the answer.
 */
export class InFlightLimit {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly max: number,
    /** "pulls": the refusal says "Too many pulls at once". */
    private readonly what: string,
  ) {}

  /** Runs `work` unless `key` already has `max` in flight, which is refused at once with `rate_limited`. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max) return Promise.reject(this.refusal());
    this.counts.set(key, n + 1);
    const done = () => {
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
    };
    let running: Promise<T>;
    try {
      running = work();
    } catch (err) {
      running = Promise.reject(err);
    }
    return running.finally(done);
  }

  /** A flood is refused thousands of times a second: without a stack trace (a tenth of the cost), which says nothing here. */
  private refusal(): CourierError {
    return refusedAtOnce(`Too many ${this.what} at once; wait for the answers.`);
  }

  /** Work in flight for `key` (tests). */
  inFlight(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** `rate_limited` without a stack trace (a tenth of the cost): floods are refused thousands of times a second. */
export function refusedAtOnce(message: string): CourierError {
  const depth = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CourierError("rate_limited", message, IN_FLIGHT_RETRY_MS);
  } finally {
    Error.stackTraceLimit = depth;
  }
}

/** What a snapshot asks of the database, in entries: as much as the largest pull. */
export const SNAPSHOT_COST = PULL_LIMIT_MAX;

/**
 * What a pull asks of the database, in entries: its `limit` (default 100,
 * at most 500), read before the payload is validated (one that is not valid
 * counts as the default, and is refused when its turn comes).
 */
export function pullCost(limit: unknown): number {
  return typeof limit === "number" && Number.isInteger(limit) && limit >= 1 && limit <= PULL_LIMIT_MAX ? limit : PULL_LIMIT_DEFAULT;
}

export interface ReadRules {
  /** Reads one user may hold on this process (waiting or running), every socket and HTTP together; more are refused at once. */
  perUser: number;
  /** Reads running at once on this process, all users together; more wait their turn. */
  slots: number;
  /** Entries one user's running reads may ask for together; a user's only running read may ask for more. */
  userEntries: number;
}

/**
 * The rules from the configuration: `MAX_PULLS_IN_FLIGHT` per user; half the
 * PostgreSQL pool (`DATABASE_POOL_MAX`) for reads of the log, so the other
 * half always serves everything else; on SQLite's one connection, two (one
 * reads while the other's answer is made); one user runs at most one
 * full-size pull at a time.
 */
export function readRules(config: Pick<Config, "connectionLimits" | "databaseUrl" | "databasePoolMax">): ReadRules {
  return { perUser: config.connectionLimits.pullsInFlight, slots: readSlots(config), userEntries: PULL_LIMIT_MAX };
}

/** `readRules`' slots: half the PostgreSQL pool (at least one), two on SQLite. */
export function readSlots(config: Pick<Config, "databaseUrl" | "databasePoolMax">): number {
  return config.databaseUrl === null ? 2 : Math.max(1, Math.floor(config.databasePoolMax / 2));
}

interface Waiting {
  cost: number;
  start: () => void;
}

/**
 * Reads of many entries (pulls over every socket and HTTP, snapshots), per
 * process, so that no account, however many sockets it opens, holds the
 * database from everyone else:
 *
 *   held per user (`perUser`, refused at once beyond: sync, before any token)
 *     ──▶ `before` (the budgets, the session)
 *     ──▶ its turn: at most `slots` running on the process, and one user's
 *         running reads at most `userEntries` entries together (a 500-entry
 *         pull runs alone, four of 100 together); users take turns, round
 *         robin, so one user's queue never goes ahead of another's next read
 *     ──▶ the next turn of the event loop ──▶ work
 *
 * Queued reads are bounded by `perUser` per user: nothing piles up.
 */
export class ReadLimits {
  private readonly held: InFlightLimit;
  private running = 0;
  /** Entries asked for by each user's running reads. */
  private readonly runningOf = new Map<string, number>();
  /** Each user's reads waiting, in order; the map's order is the users' turn order. */
  private readonly waiting = new Map<string, Waiting[]>();

  constructor(private readonly rules: ReadRules) {
    this.held = new InFlightLimit(rules.perUser, "pulls");
  }

  /** Runs a read of `cost` entries for `userId` in its turn, after `before`; refused at once (`rate_limited`) when the user already holds `perUser`. */
  run<T>(userId: string, cost: number, work: () => Promise<T>, before: () => Promise<void> = async () => {}): Promise<T> {
    return this.held.run(userId, async () => {
      await before();
      await this.turn(userId, cost);
      try {
        // Each read starts on a turn of the event loop of its own. SQLite answers synchronously, so reads
        // handed one to the next would run as one chain of microtasks, holding every other request (and
        // every timer) until a whole flood was answered: 50 sockets' pulls stalled the loop for 0.8 s.
        await new Promise<void>((resolve) => setImmediate(resolve));
        return await work();
      } finally {
        this.finished(userId, cost);
      }
    });
  }

  /** Reads running now, all users (tests). */
  get runningNow(): number {
    return this.running;
  }

  private fits(userId: string, cost: number): boolean {
    const mine = this.runningOf.get(userId) ?? 0;
    return this.running < this.rules.slots && (mine === 0 || mine + cost <= this.rules.userEntries);
  }

  private turn(userId: string, cost: number): Promise<void> {
    // Behind the user's own waiting reads, in order.
    if (!this.waiting.has(userId) && this.fits(userId, cost)) {
      this.start(userId, cost);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const queue = this.waiting.get(userId) ?? [];
      queue.push({ cost, start: () => (this.start(userId, cost), resolve()) });
      this.waiting.set(userId, queue);
    });
  }

  private start(userId: string, cost: number): void {
    this.running++;
    this.runningOf.set(userId, (this.runningOf.get(userId) ?? 0) + cost);
  }

  private finished(userId: string, cost: number): void {
    this.running--;
    const left = (this.runningOf.get(userId) ?? cost) - cost;
    if (left > 0) this.runningOf.set(userId, left);
    else this.runningOf.delete(userId);
    this.next();
  }

  /** Starts waiting reads while there is room: the first user in turn whose next read fits, who then goes to the back. */
  private next(): void {
    let started = true;
    while (started && this.running < this.rules.slots) {
      started = false;
      for (const [userId, queue] of this.waiting) {
        if (!this.fits(userId, queue[0]!.cost)) continue;
        const read = queue.shift()!;
        this.waiting.delete(userId);
        if (queue.length > 0) this.waiting.set(userId, queue);
        read.start();
        started = true;
        break;
      }
    }
  }
}
