import type { Hub } from "../sync/hub.js";
import type { Storage } from "../storage/storage.js";

/**
 * How often live connections are re-checked against the database: often
 * while the Redis link is down (closes published elsewhere cannot arrive;
 * the protocol's bound is 10 s), rarely while it is up or on one process
 * (for expiry, and a close message lost all the same).
 */
export const SESSION_CHECK_OUTAGE_MS = 5_000;
export const SESSION_CHECK_MS = 60_000;

/**
 * Closes live connections whose session ended (signed out, revoked with its
 * device, expired) or whose device was removed, by re-reading the database
 * on a timer: two queries for all live connections of this process.
 *
 * Sign-outs are closed at once where they happen and, through the cluster
 * channel, on the other processes; this watch is what makes them true when
 * that message was lost (Redis down), and what closes expired sessions,
 * which nobody announces.
 */
export class SessionWatch {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly deps: {
      hub: Pick<Hub, "allConnections" | "closeWhere">;
      storage: Pick<Storage, "read">;
      clock: () => number;
      log: { warn(obj: object, msg: string): void };
    },
  ) {}

  /** Checks every `everyMs` from now on (replacing the previous period). */
  every(everyMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.check(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; returns how many connections it closed. */
  async check(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const conns = this.deps.hub.allConnections();
      if (conns.length === 0) return 0;
      const sessionIds = [...new Set(conns.map((c) => c.sessionId))];
      const deviceIds = [...new Set(conns.map((c) => c.deviceId))];
      const now = this.deps.clock();
      const [live, devices] = await this.deps.storage.read(async (tx) => [
        new Set(await tx.sessions.liveAmong(sessionIds, now)),
        new Set(await tx.devices.existingAmong(deviceIds)),
      ]);
      // Connections that came during the reads are not in `conns` and stay.
      const checked = new Set(conns);
      const gone = this.deps.hub.closeWhere((c) => checked.has(c) && !devices.has(c.deviceId), "device_removed");
      return gone + this.deps.hub.closeWhere((c) => checked.has(c) && !live.has(c.sessionId), "logout");
    } catch (err) {
      this.deps.log.warn({ err }, "re-checking sessions failed; trying again later");
      return 0;
    } finally {
      this.running = false;
    }
  }
}
