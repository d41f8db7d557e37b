import type { Storage } from "../storage/storage.js";
import type { CloseReason, Connection, Hub, HubObserver } from "../sync/hub.js";

/**
 * Stores "last seen" (users.last_seen_at) when the user's last live
 * connection on this process goes. Each process writes for its own
 * connections and the store keeps the latest time (`seen` never lowers it),
 * so the last connection to close anywhere sets it; while any is still
 * live the user reads as online and the time is not shown. A process killed
 * without a word writes nothing for its connections: their last seen stays
 * at the previous close (docs/protocol.md, Presence).
 */
export class LastSeen implements HubObserver {
  constructor(
    private readonly deps: {
      hub: Pick<Hub, "connectionsOf">;
      storage: Pick<Storage, "write">;
      clock: () => number;
      log: { warn(obj: object, msg: string): void };
    },
  ) {}

  added(): void {}
  pushed(): void {}

  removed(conn: Connection, reason: CloseReason | null): void {
    const { hub, storage, clock, log } = this.deps;
    // A process shutting down tells its connections to come back elsewhere: they are not leaving.
    if (reason === "shutdown" || hub.connectionsOf(conn.userId).length > 0) return;
    const at = clock();
    storage.write(async (tx) => tx.users.seen(conn.userId, at)).catch((err: unknown) => log.warn({ err }, "last seen not stored"));
  }
}
