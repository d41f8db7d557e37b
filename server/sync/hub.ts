import { DOMAINS, type EphemeralFrame, type Entry, type StreamCloseReason, TRANSPORTS, type TransportName, type Versions, zeroVersions } from "../../shared/protocol/index.js";
import type { Appended } from "../storage/storage.js";
import { within } from "../within.js";

/**
 * Why the server ends a live connection; transports pass it on to the client
 * (`close {reason}`). `dead`: no sign of life from the other side.
 */
export type CloseReason = StreamCloseReason;

/**
 * On shutdown each connection is asked to wait a random time in this range
 * before reconnecting, so a restart is not met by every client at once.
 */
export const SHUTDOWN_RETRY_MIN_MS = 500;
export const SHUTDOWN_RETRY_MAX_MS = 5000;

/**
 * One live server→client channel of one device, whatever carries it
 * (socket.io, an SSE response, or a device's long-polls). `push` must not
 * throw and must not block: a transport buffers or drops, the client pulls.
 */
export interface Connection {
  /**
   * Unique across processes: a close sent to every process by id closes this
   * one only. A client link that several processes hold at once (a device's
   * long-polls without sticky sessions: a presence on each process they
   * reached) names that link before an `@` (`linkOf`): one connection to the caps.
   */
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly sessionId: string;
  readonly transport: TransportName;
  push(entries: Entry[]): void;
  /**
   * Sends entries again (retransmission of unacked pushes); returns how many
   * went out. Repeats are expected, the client drops what it has consumed,
   * but the transport's rules still hold: nothing before hello, an SSE id
   * never moves backwards. Connections without it are never retransmitted
   * to (long-poll).
   */
  repush?(entries: Entry[]): number;
  /** `retryAfterMs`: the client should not reconnect sooner (set on shutdown). */
  close(reason: CloseReason, retryAfterMs?: number): void;
  /** Answers a heartbeat of the device (`ping {at, echo}` on SSE); false if this connection cannot carry one. */
  ping?(echo: string | undefined): boolean;
  /** A request from this connection's device reached the server: a sign of life (SSE `hb=1`). */
  alive?(): void;
  /** An ephemeral frame (typing: server/presence/), never in the log; dropped if the connection can't carry it now. Must not throw. */
  ephemeral?(frame: EphemeralFrame): void;
}

/** Told what happens to live connections; the retransmitter is one. Must not throw. */
/** The client link a connection id stands for: the part before its last `@`, or the whole id. */
export function linkOf(connectionId: string): string {
  const at = connectionId.lastIndexOf("@");
  return at < 0 ? connectionId : connectionId.slice(0, at);
}

export interface HubObserver {
  added(conn: Connection): void;
  /** `reason` when the server closed the connection on purpose, null when it ended by itself. */
  removed(conn: Connection, reason: CloseReason | null): void;
  /**
   * The hub handed `entries` to `conn` (not a transport's own backlog). The
   * transport may still hold them (before its hello) or leave some out (a
   * domain waiting for a reset): "handed", not "on the wire".
   */
  pushed(conn: Connection, entries: Entry[]): void;
}

export interface HubOptions {
  /** In [0, 1); spreads the shutdown `retryAfterMs`. Injected for tests. */
  random?: () => number;
}

/**
 * Which connections to close, in a form that can travel to other processes:
 * the user's (when `userId` is set) connections of any of `sessionIds`, any
 * of `deviceIds` or any of `connectionIds`.
 */
export interface ConnectionMatch {
  userId?: string;
  sessionIds?: string[];
  deviceIds?: string[];
  connectionIds?: string[];
}

const includes = (list: unknown, value: string) => Array.isArray(list) && list.includes(value);

export function matches(m: ConnectionMatch, conn: Connection): boolean {
  if (m.userId !== undefined && conn.userId !== m.userId) return false;
  return includes(m.sessionIds, conn.sessionId) || includes(m.deviceIds, conn.deviceId) || includes(m.connectionIds, conn.id);
}

/** What a bus calls on the hub of its process. */
export interface BusListener {
  deliver(appended: Appended): void;
  closeMatching(match: ConnectionMatch, reason: CloseReason): void;
  /** A heartbeat of the device reached another process: answer it on the device's streams here. */
  ping(userId: string, deviceId: string, echo: string | undefined): void;
  /** An ephemeral frame for these users' connections here (server/presence/). */
  ephemeral(userIds: readonly string[], frame: EphemeralFrame): void;
}

/**
 * How committed appends travel to the processes holding connections. The
 * local bus delivers in-process; the Redis bus (cluster/redis-bus.ts) also
 * publishes to the other processes and delivers what they publish.
 */
export interface FanoutBus {
  attach(listener: BusListener): void;
  /** Delivers `appended` here (at once) and on every other process. */
  publish(appended: Appended): void;
  /** Closes matching connections on every other process (this one's are closed by the hub). */
  closeEverywhere?(match: ConnectionMatch, reason: CloseReason): void;
  /** Hands a device's heartbeat to the other processes (the device's stream may be on one of them). */
  relayPing?(userId: string, deviceId: string, echo: string | undefined): void;
  /** Delivers an ephemeral frame to the users' connections here (at once) and on every other process; lost, never healed, when a link is down. */
  ephemeral?(userIds: readonly string[], frame: EphemeralFrame): void;
  /** The hub holds a connection of the user: resolves once the user's entries would reach this process. */
  watch?(userId: string): Promise<void>;
  /** The user's last connection here went. */
  unwatch?(userId: string): void;
}

export class LocalBus implements FanoutBus {
  private listener: BusListener | null = null;
  attach(listener: BusListener): void {
    this.listener = listener;
  }
  publish(appended: Appended): void {
    this.listener?.deliver(appended);
  }
}

/** How long a transport waits for the user's channel before reading heads (the healer covers a slower link). */
export const WATCH_WAIT_MS = 1000;

interface HubLogger {
  warn(obj: object, msg: string): void;
}

/** Per user, the live connections; pushes each user's new entries to all of them. */
export class Hub {
  private readonly byUser = new Map<string, Set<Connection>>();
  /** Live connections per transport, kept as they come and go (for metrics). */
  private readonly counts = new Map<TransportName, number>(TRANSPORTS.map((t) => [t, 0]));
  private readonly observers: HubObserver[] = [];
  private readonly random: () => number;
  /** Per user with connections here, the bus's "their entries reach us" promise. */
  private readonly watching = new Map<string, Promise<void>>();
  /** Per connection, the highest version per domain it was given (hello heads, pushes): where healing starts. */
  private readonly given = new WeakMap<Connection, Versions>();

  constructor(
    private readonly bus: FanoutBus = new LocalBus(),
    private readonly log?: HubLogger,
    opts: HubOptions = {},
  ) {
    this.random = opts.random ?? Math.random;
    bus.attach({ deliver: (appended) => this.deliver(appended), closeMatching: (m, reason) => this.closeWhere((c) => matches(m, c), reason),
      ping: (userId, deviceId, echo) => void this.ping(userId, deviceId, echo),
      ephemeral: (userIds, frame) => this.deliverEphemeral(userIds, frame),
    });
  }

  observe(observer: HubObserver): void {
    this.observers.push(observer);
  }

  add(conn: Connection): void {
    let set = this.byUser.get(conn.userId);
    if (!set) {
      this.byUser.set(conn.userId, (set = new Set()));
      // Only a bus that links processes has something to wait for (no timer per connection otherwise).
      const watched = this.bus.watch?.(conn.userId);
      if (watched) this.watching.set(conn.userId, watched);
    }
    if (set.has(conn)) return;
    set.add(conn);
    this.counts.set(conn.transport, (this.counts.get(conn.transport) ?? 0) + 1);
    this.notify((o) => o.added(conn));
  }

  remove(conn: Connection): void {
    this.detach(conn, null);
  }

  private detach(conn: Connection, reason: CloseReason | null): boolean {
    const set = this.byUser.get(conn.userId);
    if (!set?.delete(conn)) return false;
    this.counts.set(conn.transport, (this.counts.get(conn.transport) ?? 1) - 1);
    if (set.size === 0) {
      this.byUser.delete(conn.userId);
      this.watching.delete(conn.userId);
      this.bus.unwatch?.(conn.userId);
    }
    this.notify((o) => o.removed(conn, reason));
    return true;
  }

  private notify(tell: (observer: HubObserver) => void): void {
    for (const observer of this.observers) {
      try {
        tell(observer);
      } catch (err) {
        this.log?.warn({ err }, "hub observer failed");
      }
    }
  }

  private readonly publishListeners: ((appended: Appended) => void)[] = [];

  /**
   * Runs `listener` for every batch published by this process (once per
   * append cluster-wide, unlike delivery, which runs on every node).
   */
  onPublish(listener: (appended: Appended) => void): void {
    this.publishListeners.push(listener);
  }

  /** The one way out for committed entries: call it after the commit, never before. */
  publish(appended: Appended): void {
    if (appended.length === 0) return;
    this.bus.publish(appended);
    for (const listener of this.publishListeners) {
      try {
        listener(appended);
      } catch (err) {
        this.log?.warn({ err }, "publish listener failed");
      }
    }
  }

  private deliver(appended: Appended): void {
    for (const { userId, entries } of appended) {
      for (const conn of this.byUser.get(userId) ?? []) this.deliverTo(conn, entries);
    }
  }

  /** Pushes `entries` to one live connection (healing uses it for what the bus missed). */
  deliverTo(conn: Connection, entries: Entry[]): void {
    try {
      conn.push(entries);
    } catch (err) {
      // One broken connection must not stop delivery to the others.
      this.log?.warn({ err, connection: conn.id }, "push failed");
      return;
    }
    this.raiseGiven(conn, entries);
    this.notify((o) => o.pushed(conn, entries));
  }

  /**
   * The connection's device was told these heads (its hello, a poll's
   * answer): it pulls up to them itself, so healing starts above them.
   */
  told(conn: Connection, heads: Versions): void {
    const given = this.givenTo(conn);
    for (const d of DOMAINS) given[d] = Math.max(given[d], heads[d]);
  }

  /** The highest version per domain given to the connection (zeros if none). */
  givenTo(conn: Connection): Versions {
    let given = this.given.get(conn);
    if (!given) this.given.set(conn, (given = zeroVersions()));
    return given;
  }

  private raiseGiven(conn: Connection, entries: Entry[]): void {
    const given = this.givenTo(conn);
    for (const e of entries) if (e.v > given[e.d]) given[e.d] = e.v;
  }

  /**
   * Resolves once entries of the user committed on any process reach this
   * one (at once on a single process); a transport waits for it between
   * `add` and reading the heads it says hello with, so nothing committed in
   * between is missed. Never waits longer than WATCH_WAIT_MS.
   */
  ready(userId: string): Promise<void> {
    const watching = this.watching.get(userId);
    if (!watching) return Promise.resolve();
    return within(watching, WATCH_WAIT_MS, undefined);
  }

  /** Users with live connections here. */
  users(): string[] {
    return [...this.byUser.keys()];
  }

  allConnections(): Connection[] {
    return [...this.byUser.values()].flatMap((set) => [...set]);
  }

  /** Closes matching connections here and on every other process; returns how many closed here. */
  closeEverywhere(match: ConnectionMatch, reason: CloseReason): number {
    this.bus.closeEverywhere?.(match, reason);
    return this.closeWhere((c) => matches(match, c), reason);
  }

  connectionsOf(userId: string): Connection[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /** The device's live connections in this process. */
  connectionsOfDevice(userId: string, deviceId: string): Connection[] {
    return this.connectionsOf(userId).filter((c) => c.deviceId === deviceId);
  }

  /** A request from the device reached this process: its connections that watch liveness note it. */
  touch(userId: string, deviceId: string): void {
    for (const conn of this.connectionsOfDevice(userId, deviceId)) conn.alive?.();
  }

  /** Answers a heartbeat of the device on each of its connections here that can carry one; returns how many did. */
  ping(userId: string, deviceId: string, echo: string | undefined): number {
    let n = 0;
    for (const conn of this.connectionsOfDevice(userId, deviceId)) if (conn.ping?.(echo)) n++;
    return n;
  }

  /**
   * A heartbeat request reached this process: answered on the device's
   * streams here, or, when it has none here, on the process that holds them
   * (no sticky sessions: the stream and its heartbeats may land apart).
   * Returns how many streams here answered.
   */
  heartbeat(userId: string, deviceId: string, echo: string | undefined): number {
    const n = this.ping(userId, deviceId, echo);
    if (n === 0) this.bus.relayPing?.(userId, deviceId, echo);
    return n;
  }

  /**
   * An ephemeral frame (typing) to the users' live connections on every
   * process. Not an entry: no version, no log, no healing, no retransmission.
   */
  ephemeral(userIds: readonly string[], frame: EphemeralFrame): void {
    if (userIds.length === 0) return;
    if (this.bus.ephemeral) this.bus.ephemeral(userIds, frame);
    else this.deliverEphemeral(userIds, frame);
  }

  private deliverEphemeral(userIds: readonly string[], frame: EphemeralFrame): void {
    for (const userId of userIds) {
      for (const conn of this.byUser.get(userId) ?? []) {
        try {
          conn.ephemeral?.(frame);
        } catch (err) {
          this.log?.warn({ err, connection: conn.id }, "ephemeral frame failed");
        }
      }
    }
  }

  /** The transport a device is live on right now, if any. */
  transportOf(userId: string, deviceId: string): TransportName | null {
    return this.connectionsOf(userId).find((c) => c.deviceId === deviceId)?.transport ?? null;
  }

  /**
   * Closes matching connections; returns how many. On shutdown each one is
   * given its own `retryAfterMs` in [SHUTDOWN_RETRY_MIN_MS, SHUTDOWN_RETRY_MAX_MS].
   */
  closeWhere(match: (conn: Connection) => boolean, reason: CloseReason): number {
    const doomed = this.allConnections().filter(match);
    for (const conn of doomed) {
      this.detach(conn, reason);
      conn.close(reason, reason === "shutdown" ? this.shutdownRetryAfterMs() : undefined);
    }
    return doomed.length;
  }

  private shutdownRetryAfterMs(): number {
    const span = SHUTDOWN_RETRY_MAX_MS - SHUTDOWN_RETRY_MIN_MS;
    return SHUTDOWN_RETRY_MIN_MS + Math.min(span, Math.floor(this.random() * (span + 1)));
  }

  /**
   * Live connections per transport. A long-polling device counts as one
   * connection while a poll is parked or it polled recently (see
   * transports/poll/presence.ts), not one per request.
   */
  countByTransport(): Record<TransportName, number> {
    return Object.fromEntries(TRANSPORTS.map((t) => [t, this.counts.get(t) ?? 0])) as Record<TransportName, number>;
  }

  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }
}
