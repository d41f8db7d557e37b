import { type Entry, TRANSPORTS, type TransportName } from "../../shared/protocol/index.js";
import type { Appended } from "../storage/storage.js";

/** Why the server ends a live connection; transports pass it on to the client. */
export type CloseReason = "logout" | "device_removed" | "shutdown";

/**
 * One live server→client channel of one device, whatever carries it
 * (socket.io, an SSE response, or a device's long-polls). `push` must not
 * throw and must not block: a transport buffers or drops, the client pulls.
 */
export interface Connection {
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly sessionId: string;
  readonly transport: TransportName;
  push(entries: Entry[]): void;
  close(reason: CloseReason): void;
}

/**
 * How committed appends travel to the processes holding connections. The
 * local bus delivers in-process; a Redis bus would publish to a channel and
 * call `deliver` from its subscriber on every node.
 */
export interface FanoutBus {
  publish(appended: Appended): void;
  subscribe(deliver: (appended: Appended) => void): void;
}

export class LocalBus implements FanoutBus {
  private deliver: ((appended: Appended) => void) | null = null;
  publish(appended: Appended): void {
    this.deliver?.(appended);
  }
  subscribe(deliver: (appended: Appended) => void): void {
    this.deliver = deliver;
  }
}

interface HubLogger {
  warn(obj: object, msg: string): void;
}

/** Per user, the live connections; pushes each user's new entries to all of them. */
export class Hub {
  private readonly byUser = new Map<string, Set<Connection>>();
  /** Live connections per transport, kept as they come and go (for metrics). */
  private readonly counts = new Map<TransportName, number>(TRANSPORTS.map((t) => [t, 0]));

  constructor(
    private readonly bus: FanoutBus = new LocalBus(),
    private readonly log?: HubLogger,
  ) {
    bus.subscribe((appended) => this.deliver(appended));
  }

  add(conn: Connection): void {
    let set = this.byUser.get(conn.userId);
    if (!set) this.byUser.set(conn.userId, (set = new Set()));
    if (set.has(conn)) return;
    set.add(conn);
    this.counts.set(conn.transport, (this.counts.get(conn.transport) ?? 0) + 1);
  }

  remove(conn: Connection): void {
    const set = this.byUser.get(conn.userId);
    if (!set?.delete(conn)) return;
    this.counts.set(conn.transport, (this.counts.get(conn.transport) ?? 1) - 1);
    if (set.size === 0) this.byUser.delete(conn.userId);
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
      for (const conn of this.byUser.get(userId) ?? []) {
        try {
          conn.push(entries);
        } catch (err) {
          // One broken connection must not stop delivery to the others.
          this.log?.warn({ err, connection: conn.id }, "push failed");
        }
      }
    }
  }

  connectionsOf(userId: string): Connection[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /** The transport a device is live on right now, if any. */
  transportOf(userId: string, deviceId: string): TransportName | null {
    return this.connectionsOf(userId).find((c) => c.deviceId === deviceId)?.transport ?? null;
  }

  /** Closes matching connections; returns how many. */
  closeWhere(match: (conn: Connection) => boolean, reason: CloseReason): number {
    const doomed = [...this.byUser.values()].flatMap((set) => [...set]).filter(match);
    for (const conn of doomed) {
      this.remove(conn);
      conn.close(reason);
    }
    return doomed.length;
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
