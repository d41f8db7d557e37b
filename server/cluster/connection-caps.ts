import type { Result } from "ioredis";
import type { ConnectionLimits } from "../config.js";
import { type Connection, type Hub, type HubObserver, linkOf } from "../sync/hub.js";
import { PRESENCE_REFRESH_MS, PRESENCE_TTL_MS } from "./presence.js";
import type { RedisLink } from "./redis-link.js";

export type Caps = Pick<ConnectionLimits, "perDevice" | "perUser">;

/**
 * Which of a user's live connections to close so that no device holds more
 * than `perDevice` and the user no more than `perUser`: the oldest beyond
 * each cap. `live` is ordered oldest first; the newest is never chosen.
 */
export function overCap<C extends { deviceId: string }>(live: readonly C[], caps: Caps): C[] {
  const doomed = new Set<C>();
  const byDevice = new Map<string, C[]>();
  for (const c of live) byDevice.set(c.deviceId, [...(byDevice.get(c.deviceId) ?? []), c]);
  for (const list of byDevice.values()) for (const c of list.slice(0, Math.max(0, list.length - caps.perDevice))) doomed.add(c);
  const kept = live.filter((c) => !doomed.has(c));
  for (const c of kept.slice(0, Math.max(0, kept.length - caps.perUser))) doomed.add(c);
  return live.filter((c) => doomed.has(c));
}

/**
 * Every process's live connections of a user, in Redis: a sorted set
 * `cc:{<userId>}` of `node|device|connection` scored by the order they
 * opened in (a per-user counter, so processes whose clocks disagree still
 * agree on which is oldest). One script adds a connection and reads the
 * set; members of a process that stopped speaking, and this process's own
 * that are no longer live here, are ignored and dropped. Members of one
 * client link (`linkOf`: a device's long-poll presences on several
 * processes) count as one connection, as old as the oldest of them, and are
 * closed together.
 */
const ADD_SCRIPT = `
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], seq, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {seq, redis.call('ZRANGE', KEYS[1], 0, -1)}
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** ADD_SCRIPT, defined on a connection by `ConnectionCaps`. */
    courierConnectionAdd(set: string, counter: string, member: string, ttlMs: number): Result<[number, string[]], Context>;
  }
}

const setOf = (userId: string) => `cc:{${userId}}`;
const counterOf = (userId: string) => `cc:{${userId}}:n`;
const KEY_TTL_MS = PRESENCE_TTL_MS * 2;

interface Member {
  member: string;
  nodeId: string;
  deviceId: string;
  connectionId: string;
}

function parse(member: string): Member | null {
  const [nodeId, deviceId, ...rest] = member.split("|");
  const connectionId = rest.join("|");
  return nodeId && deviceId && connectionId ? { member, nodeId, deviceId, connectionId } : null;
}

type Log = { warn(obj: object, msg: string): void };

/**
 * Caps live connections per device and per user (protocol: "Limits"),
 * across ws, SSE and long-poll: one more than allowed closes the oldest,
 * with `close {reason: "too_many_connections"}`. Told of every connection
 * by the hub. On one process (or while Redis can't answer) it counts this
 * process's connections, at once; with Redis, every process's, and a
 * connection held elsewhere is closed there (`closeEverywhere`).
 */
export class ConnectionCaps implements HubObserver {
  /** Per connection here, its order in the user's set in Redis (kept for refreshes). */
  private readonly seqs = new WeakMap<Connection, number>();
  /** Removals Redis could not take yet: `set → members`, retried at every refresh. */
  private readonly pending = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly hub: Pick<Hub, "connectionsOf" | "allConnections" | "closeWhere" | "closeEverywhere">,
    private readonly caps: Caps,
    private readonly log: Log,
    private readonly shared: { link: RedisLink; nodeAlive: (nodeId: string) => boolean } | null = null,
  ) {
    if (!shared) return;
    shared.link.command.defineCommand("courierConnectionAdd", { numberOfKeys: 2, lua: ADD_SCRIPT });
    shared.link.onUp(() => this.refresh());
    this.timer = setInterval(() => this.refresh(), PRESENCE_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  added(conn: Connection): void {
    if (!this.shared?.link.up) return this.enforceHere(conn.userId);
    this.enforceEverywhere(conn).catch((err: unknown) => {
      this.log.warn({ err }, "connection caps: redis did not answer; counting this process's connections");
      this.enforceHere(conn.userId);
    });
  }

  removed(conn: Connection): void {
    if (!this.shared) return;
    const member = this.memberOf(conn);
    const set = setOf(conn.userId);
    if (!this.shared.link.up) return this.later(set, member);
    this.shared.link.command.zrem(set, member).catch(() => this.later(set, member));
  }

  pushed(): void {}

  /** This process's connections only: synchronous, oldest first as the hub holds them. */
  private enforceHere(userId: string): void {
    const doomed = new Set(overCap(this.hub.connectionsOf(userId), this.caps));
    if (doomed.size > 0) this.hub.closeWhere((c) => doomed.has(c), "too_many_connections");
  }

  private async enforceEverywhere(conn: Connection): Promise<void> {
    const { link, nodeAlive } = this.shared!;
    const [seq, members] = await link.command.courierConnectionAdd(setOf(conn.userId), counterOf(conn.userId), this.memberOf(conn), KEY_TTL_MS);
    this.seqs.set(conn, seq);
    const here = new Set(this.hub.connectionsOf(conn.userId).map((c) => c.id));
    const live: Member[] = [];
    const stale: string[] = [];
    for (const m of members.map(parse)) {
      if (!m) continue;
      const ours = m.nodeId === link.nodeId;
      if ((ours && !here.has(m.connectionId)) || (!ours && !nodeAlive(m.nodeId))) stale.push(m.member);
      else live.push(m);
    }
    if (stale.length > 0) link.command.zrem(setOf(conn.userId), ...stale).catch(() => {});
    const links = new Map<string, { deviceId: string; members: Member[] }>();
    for (const m of live) {
      const key = linkOf(m.connectionId);
      const same = links.get(key);
      if (same) same.members.push(m);
      else links.set(key, { deviceId: m.deviceId, members: [m] });
    }
    const doomed = overCap([...links.values()], this.caps).flatMap((l) => l.members);
    if (doomed.length === 0) return;
    link.command.zrem(setOf(conn.userId), ...doomed.map((m) => m.member)).catch(() => {});
    this.hub.closeEverywhere({ userId: conn.userId, connectionIds: doomed.map((m) => m.connectionId) }, "too_many_connections");
  }

  private memberOf(conn: Connection): string {
    return `${this.shared!.link.nodeId}|${conn.deviceId}|${conn.id}`;
  }

  private later(set: string, member: string): void {
    const members = this.pending.get(set) ?? new Set();
    members.add(member);
    this.pending.set(set, members);
  }

  /** Re-announces this process's connections (their keys expire otherwise) and retries removals. */
  private refresh(): void {
    const link = this.shared?.link;
    if (!link?.up) return;
    const batch = link.command.pipeline();
    const removals = [...this.pending];
    this.pending.clear();
    for (const [set, members] of removals) batch.zrem(set, ...members);
    for (const conn of this.hub.allConnections()) {
      const seq = this.seqs.get(conn);
      // Opened while Redis was away: it joins the order now, as the newest.
      if (seq === undefined) this.enforceEverywhere(conn).catch(() => {});
      else batch.zadd(setOf(conn.userId), seq, this.memberOf(conn)).pexpire(setOf(conn.userId), KEY_TTL_MS).pexpire(counterOf(conn.userId), KEY_TTL_MS);
    }
    if (batch.length === 0) return;
    batch.exec().catch((err: unknown) => {
      for (const [set, members] of removals) for (const member of members) this.later(set, member);
      this.log.warn({ err }, "connection caps refresh failed");
    });
  }
}
