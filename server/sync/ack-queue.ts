import { CourierError, DOMAINS, type TransportName, type Versions } from "../../shared/protocol/index.js";
import type { Config } from "../config.js";
import { readSlots, refusedAtOnce } from "../http/in-flight-limit.js";

/** One device's acks, merged, as they are applied in one write. */
export interface AckTurn {
  userId: string;
  deviceId: string;
  /** The highest version acked per domain by every ack merged into this turn. */
  acks: Partial<Versions>;
  /** What carried them, when every merged ack came the same way. */
  transport?: TransportName;
}

/**
 * Ack writes running at once on this process: on PostgreSQL what the pool
 * has left after the reads of the log (`readSlots`, half of it) and one
 * connection more, so a send finds a connection even while a 500-member
 * group's acks pour in (4 of the default 10); at least one, so on a pool of
 * two or fewer acks share with the rest. On SQLite, whose writes share one
 * group commit, no cap.
 */
export function ackSlots(config: Pick<Config, "databaseUrl" | "databasePoolMax">): number {
  if (config.databaseUrl === null) return Infinity;
  return Math.max(1, config.databasePoolMax - readSlots(config) - 1);
}

/**
 * Devices of one user with a turn waiting; an ack for another is refused at
 * once (`rate_limited`). A person has a few devices: more is a client naming
 * device ids it does not have (HTTP acks name theirs in a header, checked
 * only when the write runs), which must not fill the queue ahead of others.
 */
export const ACK_TURNS_PER_USER = 8;

interface Waiter {
  resolve: (acks: Versions) => void;
  reject: (error: unknown) => void;
}

interface Turn extends AckTurn {
  key: string;
  /** More than one transport merged. */
  mixed: boolean;
  waiters: Waiter[];
}

/**
 * Acks on their way to the database, per process (issue 16; docs/delivery.md,
 * "Acks under load"):
 *
 * - **One device, one at a time, merged.** An ack only moves a device's
 *   versions forward (`log.ts`, `ack`), so acks applied in turn end where one
 *   ack of the highest versions ends. While a device's ack is being written,
 *   its next acks wait as one turn holding the highest version of each
 *   domain; every caller is answered with the versions of the write that
 *   covered its ack. A device that falls behind (a flood of pushes, a slow
 *   database) thus costs one write per turn, not one per ack, and never two
 *   connections waiting on its own row lock.
 * - **At most `slots` running** (`ackSlots`): the rest wait their turn,
 *   devices in the order their first waiting ack came, and are not counted
 *   against the pool's wait (no "busy" refusals for acks that merely queue).
 *
 * What waits is bounded: one turn per device, at most `ACK_TURNS_PER_USER`
 * devices per user (acks are also rate limited per user before they get here).
 */
export class AckQueue {
  private running = 0;
  /** Devices (user + device) with a write running. */
  private readonly writing = new Set<string>();
  /** Each device's next turn; the map's order is the turns' order. */
  private readonly waiting = new Map<string, Turn>();
  /** Turns waiting, per user. */
  private readonly waitingOf = new Map<string, number>();

  constructor(
    private readonly slots: number,
    private readonly apply: (turn: AckTurn) => Promise<Versions>,
  ) {}

  private closed = false;
  /** Resolved when the last running write ends after `close()`. */
  private idle: (() => void) | null = null;

  /** Resolves with the device's acked versions once a write covering `acks` committed. */
  submit(userId: string, deviceId: string, acks: Partial<Versions>, transport?: TransportName): Promise<Versions> {
    // Shutting down: the client acks again after it reconnects (its hello), on this process or another.
    if (this.closed) return Promise.reject(CourierError.unavailable("This server is restarting; try again shortly.", 1000));
    // A device id names one user's device: another user claiming it gets a turn of its own (and the rule refuses it).
    const key = `${userId}\u0000${deviceId}`;
    const turn = this.waiting.get(key);
    if (!turn && (this.waitingOf.get(userId) ?? 0) >= ACK_TURNS_PER_USER) return Promise.reject(refusedAtOnce(`Acks of more than ${ACK_TURNS_PER_USER} devices of one account are waiting; wait for the answers.`));
    return new Promise<Versions>((resolve, reject) => {
      if (turn) {
        for (const d of DOMAINS) {
          const v = acks[d];
          if (v !== undefined && v > (turn.acks[d] ?? -Infinity)) turn.acks[d] = v;
        }
        if (turn.transport !== transport) turn.mixed = true;
        turn.waiters.push({ resolve, reject });
        return;
      }
      const fresh: Turn = { key, userId, deviceId, acks: { ...acks }, transport, mixed: false, waiters: [{ resolve, reject }] };
      // Free to go: no scan of the others (on SQLite, with no cap, every other waiting turn waits for its own device's write).
      if (!this.writing.has(key) && this.running < this.slots) this.start(fresh);
      else this.enqueue(fresh);
    });
  }

  /**
   * Shutdown, before storage closes: new acks are refused (`unavailable`),
   * turns still waiting are written as their slots free up, and this
   * resolves once the last write has ended.
   */
  close(): Promise<void> {
    this.closed = true;
    if (this.running === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idle = resolve));
  }

  /** Acks waiting for their turn, counted by device (tests, metrics). */
  get queued(): number {
    return this.waiting.size;
  }

  private enqueue(turn: Turn): void {
    this.waiting.set(turn.key, turn);
    this.waitingOf.set(turn.userId, (this.waitingOf.get(turn.userId) ?? 0) + 1);
  }

  private dequeue(turn: Turn): void {
    this.waiting.delete(turn.key);
    const left = (this.waitingOf.get(turn.userId) ?? 1) - 1;
    if (left > 0) this.waitingOf.set(turn.userId, left);
    else this.waitingOf.delete(turn.userId);
  }

  /**
   * After `key`'s write. With no cap, only that device's next turn can have
   * been waiting for it: it starts, and nothing is scanned. Under a cap, the
   * first turns in order whose device has no write running: a scan skips at
   * most `slots` turns (those devices' writes are the ones running).
   */
  private next(key: string): void {
    if (this.slots === Infinity) {
      const own = this.waiting.get(key);
      if (own) {
        this.dequeue(own);
        this.start(own);
      }
      return;
    }
    for (const turn of this.waiting.values()) {
      if (this.running >= this.slots) return;
      if (this.writing.has(turn.key)) continue;
      this.dequeue(turn);
      this.start(turn);
    }
  }

  private start(turn: Turn): void {
    this.running++;
    this.writing.add(turn.key);
    const { userId, deviceId, acks } = turn;
    let applied: Promise<Versions>;
    try {
      applied = this.apply(turn.mixed || turn.transport === undefined ? { userId, deviceId, acks } : { userId, deviceId, acks, transport: turn.transport });
    } catch (error) {
      applied = Promise.reject(error);
    }
    void applied
      .then(
        (after) => turn.waiters.forEach((w) => w.resolve(after)),
        (error: unknown) => turn.waiters.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        this.running--;
        this.writing.delete(turn.key);
        this.next(turn.key);
        if (this.running === 0 && this.waiting.size === 0) this.idle?.();
      });
  }
}
