import { DOMAINS, type TransportName, type Versions } from "../../shared/protocol/index.js";
import type { Config } from "../config.js";

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
 * Ack writes running at once on this process: on PostgreSQL one less than
 * the pool's half that reads of the log leave (`readRules`), so a send or a
 * read always finds a connection even while a 500-member group's acks pour
 * in; on SQLite, whose writes share one group commit, no cap.
 */
export function ackSlots(config: Pick<Config, "databaseUrl" | "databasePoolMax">): number {
  return config.databaseUrl === null ? Infinity : Math.max(1, Math.floor(config.databasePoolMax / 2) - 1);
}

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
 * What waits is bounded by the devices with acks outstanding: one turn each.
 */
export class AckQueue {
  private running = 0;
  /** Devices (user + device) with a write running. */
  private readonly writing = new Set<string>();
  /** Each device's next turn; the map's order is the turns' order. */
  private readonly waiting = new Map<string, Turn>();

  constructor(
    private readonly slots: number,
    private readonly apply: (turn: AckTurn) => Promise<Versions>,
  ) {}

  /** Resolves with the device's acked versions once a write covering `acks` committed. */
  submit(userId: string, deviceId: string, acks: Partial<Versions>, transport?: TransportName): Promise<Versions> {
    // A device id names one user's device: another user claiming it gets a turn of its own (and the rule refuses it).
    const key = `${userId}\u0000${deviceId}`;
    return new Promise<Versions>((resolve, reject) => {
      const turn = this.waiting.get(key);
      if (turn) {
        for (const d of DOMAINS) {
          const v = acks[d];
          if (v !== undefined && v > (turn.acks[d] ?? -Infinity)) turn.acks[d] = v;
        }
        if (turn.transport !== transport) turn.mixed = true;
        turn.waiters.push({ resolve, reject });
      } else {
        this.waiting.set(key, { key, userId, deviceId, acks: { ...acks }, transport, mixed: false, waiters: [{ resolve, reject }] });
      }
      this.pump();
    });
  }

  /** Acks waiting for their turn, counted by device (tests, metrics). */
  get queued(): number {
    return this.waiting.size;
  }

  private pump(): void {
    if (this.running >= this.slots) return;
    for (const turn of this.waiting.values()) {
      if (this.writing.has(turn.key)) continue;
      this.waiting.delete(turn.key);
      this.start(turn);
      if (this.running >= this.slots) return;
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
        this.pump();
      });
  }
}
