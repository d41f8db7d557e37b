import type { TransportName } from "../../shared/protocol/index.js";
import type { Connection, Hub, HubObserver } from "../sync/hub.js";
import { within } from "../within.js";
import type { RedisLink } from "./redis-link.js";

/**
 * Which devices of a user are live (a WebSocket, an SSE stream or recent
 * long-polls) on any process. Web Push asks before notifying a device, the
 * device list shows it.
 *
 * `null` means "not known" (Redis is down or slow): callers then decide from
 * this process's own connections only, which can send a Web Push to a device
 * live elsewhere (a notification too many), never skip one it needed.
 */
export interface Presence {
  liveDevices(userId: string): Promise<Map<string, TransportName> | null>;
}

/** One process: the hub knows everything. */
export class LocalPresence implements Presence {
  constructor(private readonly hub: Pick<Hub, "connectionsOf">) {}

  liveDevices(userId: string): Promise<Map<string, TransportName> | null> {
    return Promise.resolve(devicesOf(this.hub.connectionsOf(userId)));
  }
}

function devicesOf(conns: readonly Connection[]): Map<string, TransportName> {
  const live = new Map<string, TransportName>();
  for (const c of conns) if (!live.has(c.deviceId)) live.set(c.deviceId, c.transport);
  return live;
}

/** Presence entries live this long unless refreshed; a process that dies without a word is forgotten after it. */
export const PRESENCE_TTL_MS = 30_000;
/** How often a process re-announces its live connections (and after every reconnect to Redis). */
export const PRESENCE_REFRESH_MS = 10_000;
/** A presence read slower than this is "not known". */
const READ_TIMEOUT_MS = 250;

const keyOf = (userId: string) => `pr:{${userId}}`;
const memberOf = (conn: Connection, nodeId: string) => `${conn.deviceId}|${nodeId}|${conn.transport}`;

/**
 * Presence in Redis: per user a sorted set of `device|node|transport`
 * scored by expiry (epoch ms). Each process adds its connections as they
 * come, removes them as they go, and refreshes them every
 * PRESENCE_REFRESH_MS; a reader ignores expired members and those of a
 * process that stopped speaking (killed without a word). The local hub is
 * always consulted too, so this process's own connections count even
 * while Redis is unreachable.
 */
export class RedisPresence implements Presence, HubObserver {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly hub: Pick<Hub, "connectionsOf" | "allConnections">,
    private readonly clock: () => number,
    private readonly log: { warn(obj: object, msg: string): void },
    /** Whether a process still speaks (cluster/redis-bus.ts): a dead one's members do not count. */
    private readonly nodeAlive: (nodeId: string) => boolean = () => true,
  ) {
    link.onUp(() => this.refresh());
  }

  start(): void {
    this.timer ??= setInterval(() => this.refresh(), PRESENCE_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async liveDevices(userId: string): Promise<Map<string, TransportName> | null> {
    const local = devicesOf(this.hub.connectionsOf(userId));
    if (!this.link.up) return null;
    const members = await within(this.link.command.zrangebyscore(keyOf(userId), this.clock(), "+inf"), READ_TIMEOUT_MS, null);
    if (members === null) return null;
    for (const member of members) {
      const [deviceId, nodeId, transport] = member.split("|");
      if (deviceId && nodeId && transport && !local.has(deviceId) && this.nodeAlive(nodeId)) local.set(deviceId, transport as TransportName);
    }
    return local;
  }

  added(conn: Connection): void {
    if (!this.link.up) return;
    const key = keyOf(conn.userId);
    this.link.command
      .multi()
      .zadd(key, this.clock() + PRESENCE_TTL_MS, memberOf(conn, this.link.nodeId))
      .pexpire(key, PRESENCE_TTL_MS * 2)
      .exec()
      .catch(() => {});
  }

  removed(conn: Connection): void {
    // Another connection of the same device and transport here keeps the member.
    if (this.hub.connectionsOf(conn.userId).some((c) => c.deviceId === conn.deviceId && c.transport === conn.transport)) return;
    if (!this.link.up) return;
    this.link.command.zrem(keyOf(conn.userId), memberOf(conn, this.link.nodeId)).catch(() => {});
  }

  pushed(): void {}

  /** Re-announces every live connection of this process (and prunes expired members of those users). */
  refresh(): void {
    if (!this.link.up) return;
    const now = this.clock();
    const batch = this.link.command.pipeline();
    const seen = new Set<string>();
    for (const conn of this.hub.allConnections()) {
      const key = keyOf(conn.userId);
      batch.zadd(key, now + PRESENCE_TTL_MS, memberOf(conn, this.link.nodeId));
      if (seen.has(key)) continue;
      seen.add(key);
      batch.zremrangebyscore(key, "-inf", now).pexpire(key, PRESENCE_TTL_MS * 2);
    }
    if (batch.length === 0) return;
    batch.exec().catch((err: unknown) => this.log.warn({ err }, "presence refresh failed"));
  }
}
