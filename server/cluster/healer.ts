import { DOMAINS, type Versions } from "../../shared/protocol/index.js";
import type { Connection, Hub } from "../sync/hub.js";
import type { SyncReader } from "../sync/log.js";
import { REPUSH_PAGE_MAX } from "../sync/retransmit.js";

/** While the Redis link is down, the database is re-read this often (the protocol's bound is 10 s). */
export const HEAL_EVERY_MS = 4000;
/**
 * While it is up, this often: a safety net for a notification no link event
 * reveals (a process that committed while cut off from Redis and died before
 * its link came back). One heads read per live user here per period.
 */
export const HEAL_SAFETY_MS = 30_000;
/** Users healed at once; the rest wait their turn. */
const CONCURRENCY = 8;

/**
 * Heals what pub/sub lost: for every live connection here, re-reads the
 * user's heads and pushes, from the database, what the connection has not
 * been given (above its hello heads, its pushes and the device's stored
 * acks). Entries are the database's, so a heal can repeat what arrived
 * meanwhile; clients drop versions they already hold.
 *
 * Runs when asked (the link came back, another process could not publish
 * or just started) and on a timer: every few seconds while the link is
 * down, so sends on other processes still reach live devices here during a
 * Redis outage, seconds late; rarely while it is up, as a safety net.
 * One heal at a time; a request during one runs another right after.
 */
export class Healer {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  /** Entries pushed by heals (tests and logs). */
  healed = 0;

  constructor(
    private readonly deps: {
      hub: Pick<Hub, "users" | "connectionsOf" | "givenTo" | "deliverTo">;
      sync: Pick<SyncReader, "heads" | "deviceAcks" | "pull">;
      log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
    },
  ) {}

  /** Heals every live connection here; resolves when done (a heal already running is followed by one more). */
  heal(why: string): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const before = this.healed;
        await this.healAll();
        if (this.healed > before) this.deps.log.info({ why, entries: this.healed - before }, "healed pushes from the database");
      } while (this.again);
    })().finally(() => (this.running = null));
    return this.running;
  }

  /** Re-reads every `ms` (HEAL_EVERY_MS while the Redis link is down, HEAL_SAFETY_MS while it is up). */
  every(ms: number, why: string): void {
    this.stopTimer();
    this.timer = setInterval(() => void this.heal(why), ms);
    this.timer.unref();
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async healAll(): Promise<void> {
    const users = this.deps.hub.users();
    let next = 0;
    const worker = async () => {
      while (next < users.length) await this.healUser(users[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, users.length) }, worker));
  }

  async healUser(userId: string): Promise<void> {
    const { hub, sync, log } = this.deps;
    try {
      const conns = hub.connectionsOf(userId);
      if (conns.length === 0) return;
      const heads = await sync.heads(userId);
      const acks = new Map<string, Versions>();
      for (const conn of conns) {
        if (!DOMAINS.some((d) => heads[d] > hub.givenTo(conn)[d])) continue;
        let acked = acks.get(conn.deviceId);
        if (!acked) acks.set(conn.deviceId, (acked = await sync.deviceAcks(userId, conn.deviceId)));
        await this.healConnection(conn, heads, acked);
      }
    } catch (err) {
      log.warn({ err, userId }, "healing a user failed; the next heal tries again");
    }
  }

  private async healConnection(conn: Connection, heads: Versions, acked: Versions): Promise<void> {
    const { hub, sync } = this.deps;
    for (const d of DOMAINS) {
      const from = Math.max(hub.givenTo(conn)[d], acked[d]);
      if (heads[d] <= from) continue;
      const page = await sync.pull(conn.userId, d, from, Math.min(heads[d] - from, REPUSH_PAGE_MAX));
      // Fallen out of the ring: the client's own pull finds the reset.
      if (page.reset || page.entries.length === 0) continue;
      // Given meanwhile by the bus: only what is still above.
      const fresh = page.entries.filter((e) => e.v > hub.givenTo(conn)[d]);
      if (fresh.length === 0) continue;
      hub.deliverTo(conn, fresh);
      this.healed += fresh.length;
    }
  }
}
