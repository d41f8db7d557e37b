import { type Config, type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "../config.js";
import type { Storage } from "../storage/storage.js";
import { type FanoutBus, type Hub, LocalBus } from "../sync/hub.js";
import type { SyncReader } from "../sync/log.js";
import { type Caps, ConnectionCaps } from "./connection-caps.js";
import { HEAL_EVERY_MS, HEAL_SAFETY_MS, Healer } from "./healer.js";
import { LocalPresence, type Presence, RedisPresence } from "./presence.js";
import { RedisBus } from "./redis-bus.js";
import { RedisLink } from "./redis-link.js";
import { SESSION_CHECK_MS, SESSION_CHECK_OUTAGE_MS, SessionWatch } from "./session-watch.js";

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

/**
 * What links this process to the others (docs/cluster.md), or stands in for
 * it on a single process: the bus the hub publishes through, presence, the
 * healer and the session watch. Built in two steps because the hub needs the
 * bus and the healer needs the hub:
 *
 *   const cluster = createCluster(config, log);   // link + bus
 *   const hub = new Hub(cluster.bus, …);
 *   await cluster.start({ hub, sync, storage, clock });
 */
export class Cluster implements Presence {
  readonly bus: FanoutBus;
  private healer: Healer | null = null;
  private watch: SessionWatch | null = null;
  private redisPresence: RedisPresence | null = null;
  private caps: ConnectionCaps | null = null;
  private started: Presence | null = null;

  constructor(
    /** null on a single process (no REDIS_URL). */
    readonly link: RedisLink | null,
    private readonly log: Log,
    /** Live connections per device and per user (connection-caps.ts). */
    private readonly connectionCaps: Caps = DEFAULT_CONNECTION_LIMITS,
  ) {
    this.bus = link ? new RedisBus(link, { heal: (why) => void this.healer?.heal(why), log }) : new LocalBus();
  }

  get presence(): Presence {
    if (!this.started) throw new Error("cluster not started");
    return this.started;
  }

  /** The presence of the started cluster (Web Push and the device list ask it). */
  liveDevices(userId: string): ReturnType<Presence["liveDevices"]> {
    return this.presence.liveDevices(userId);
  }

  /** Entries pushed by healing so far (tests). */
  get healed(): number {
    return this.healer?.healed ?? 0;
  }

  /** Heals every live connection here now (tests; the link does it by itself). */
  heal(why: string): Promise<void> {
    return this.healer?.heal(why) ?? Promise.resolve();
  }

  /** Re-checks the sessions of live connections now (tests; a timer does it by itself). */
  checkSessions(): Promise<number> {
    return this.watch?.check() ?? Promise.resolve(0);
  }

  async start(deps: { hub: Hub; sync: SyncReader; storage: Storage; clock: () => number }): Promise<void> {
    const { hub, sync, storage, clock } = deps;
    const watch = (this.watch = new SessionWatch({ hub, storage, clock, log: this.log }));
    const link = this.link;
    // With Redis, closes travel as messages; while it is down only the database can tell.
    watch.every(link ? SESSION_CHECK_OUTAGE_MS : SESSION_CHECK_MS);
    link?.onDown(() => watch.every(SESSION_CHECK_OUTAGE_MS));
    link?.onUp(() => watch.every(SESSION_CHECK_MS));
    if (!link) {
      this.caps = new ConnectionCaps(hub, this.connectionCaps, this.log);
      hub.observe(this.caps);
      this.started = new LocalPresence(hub);
      return;
    }
    const healer = (this.healer = new Healer({ hub, sync, log: this.log }));
    // Down until the first connect: heal from the database meanwhile.
    healer.every(HEAL_EVERY_MS, "redis link down");
    link.onDown(() => healer.every(HEAL_EVERY_MS, "redis link down"));
    link.onUp(() => healer.every(HEAL_SAFETY_MS, "safety net"));
    const bus = this.bus as RedisBus;
    this.started = this.redisPresence = new RedisPresence(link, hub, clock, this.log, (node) => bus.nodeAlive(node));
    hub.observe(this.redisPresence);
    this.caps = new ConnectionCaps(hub, this.connectionCaps, this.log, { link, nodeAlive: (node) => bus.nodeAlive(node) });
    hub.observe(this.caps);
    this.redisPresence.start();
    bus.start();
    await link.connect();
  }

  /** Readiness of the Redis side: "off" on a single process. */
  async redisStatus(): Promise<"up" | "down" | "off"> {
    if (!this.link) return "off";
    return (await this.link.ping()) === null ? "down" : "up";
  }

  async close(): Promise<void> {
    this.watch?.stop();
    this.healer?.stopTimer();
    this.redisPresence?.stop();
    this.caps?.stop();
    if (this.bus instanceof RedisBus) this.bus.stop();
    await this.link?.close();
  }
}

export function createCluster(config: Pick<Config, "redisUrl"> & { connectionLimits?: ConnectionLimits }, log: Log): Cluster {
  return new Cluster(config.redisUrl ? new RedisLink(config.redisUrl, { log }) : null, log, config.connectionLimits);
}
