import { isKind, sendRequestSchema } from "../../shared/protocol/index.js";
import type { Appended } from "../storage/storage.js";
import type { HubObserver } from "../sync/hub.js";
import type { DeliveryEvents } from "./events.js";

/**
 * The delivery events the hub sees (docs/observability.md): what it hands to
 * live connections, and what committed appends say happened.
 */

/**
 * First pushes: every batch the hub hands to a live connection here, on any
 * transport (`hub.observe`). Re-pushes of unacked entries do not pass through
 * the hub (the retransmitter calls `conn.repush`), and are told there.
 */
export function hubEvents(events: DeliveryEvents, clock: () => number): HubObserver {
  return {
    added() {},
    removed() {},
    pushed(conn, entries) {
      const device = { userId: conn.userId, deviceId: conn.deviceId, transport: conn.transport, connectionId: conn.id };
      events.pushed(device, entries, false, clock());
    },
  };
}

/** Kinds of message a user sends (`send()` tells of those itself, with the time it accepted them). */
const SENT_KINDS: ReadonlySet<string> = new Set(sendRequestSchema.shape.kind.options);

/**
 * What committed appends say happened, told once per append cluster-wide (a
 * `hub.onPublish` listener: it runs on the process that committed):
 *
 * - `stored` for messages other rules post (offers, order steps, group
 *   changes: kinds a user can't send), which never pass through `send()`;
 *   their `acceptedAt` is their commit time;
 * - `read` when a member's read position moved (markRead appends a `read`
 *   entry to every member only then).
 *
 * Each message and each read is one entry per member in the batch: told once.
 */
export function publishedEvents(events: DeliveryEvents): (appended: Appended) => void {
  return (appended) => {
    const told = new Set<string>();
    for (const { entries } of appended) {
      for (const entry of entries) {
        if (isKind(entry, "msg")) {
          const m = entry.data.message;
          if (SENT_KINDS.has(m.kind) || told.has(m.id)) continue;
          told.add(m.id);
          events.stored({ messageId: m.id, conversationId: m.conversationId, seq: m.seq, senderId: m.senderId, acceptedAt: m.at, at: m.at });
        } else if (isKind(entry, "read")) {
          const { conversationId, userId, seq } = entry.data;
          const key = `read/${conversationId}/${userId}/${seq}`;
          if (told.has(key)) continue;
          told.add(key);
          events.read(userId, { conversationId, lo: 1, hi: seq }, entry.at);
        }
      }
    }
  };
}
