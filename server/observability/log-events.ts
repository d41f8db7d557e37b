import type { Domain, Entry } from "../../shared/protocol/index.js";
import { type AckedEntry, type DeliveryEvents, messageRef, type SeqRange } from "./events.js";

/**
 * Delivery log lines (docs/observability.md, "Logs and health"): one debug
 * line per notable delivery event, through the app's logger, so that an
 * operator at LOG_LEVEL=debug can follow a message from its commit to each
 * device. Lines carry ids, versions, seq ranges, transports and reasons —
 * never message text, search text or tokens (the events carry none; this
 * file reads no entry's data but a message's id, conversation and seq).
 *
 * At the default level (info) every handler returns after one level check.
 */

/** The part of a pino logger this needs (Fastify's disabled logger has no `isLevelEnabled`: then nothing is logged). */
export interface DebugLog {
  debug(obj: object, msg: string): void;
  isLevelEnabled?(level: string): boolean;
}

/** At most this many message ids on one line (a pull may carry hundreds of entries; the ranges cover the rest). */
export const LOGGED_IDS_MAX = 20;

/** Which versions a batch spans, per domain: `{ chat: [5, 7] }`. */
export function versionSpans(entries: readonly { d: Domain; v: number }[]): Partial<Record<Domain, [number, number]>> {
  const spans: Partial<Record<Domain, [number, number]>> = {};
  for (const { d, v } of entries) {
    const span = spans[d];
    if (!span) spans[d] = [v, v];
    else {
      span[0] = Math.min(span[0], v);
      span[1] = Math.max(span[1], v);
    }
  }
  return spans;
}

/** The messages a batch of entries carries: their ids (the first LOGGED_IDS_MAX) and how many in all. */
function messagesOf(entries: readonly Entry[]): { messages: number; messageIds: string[] } {
  const ids: string[] = [];
  for (const e of entries) {
    const ref = messageRef(e);
    if (ref) ids.push(ref.messageId);
  }
  return { messages: ids.length, messageIds: ids.slice(0, LOGGED_IDS_MAX) };
}

/** The messages an ack newly covered, per conversation (acks are cumulative: lowest to highest seq). */
function ackedRanges(entries: readonly AckedEntry[]): SeqRange[] {
  const byConv = new Map<string, SeqRange>();
  for (const { conversationId, seq } of entries) {
    if (conversationId === undefined || seq === undefined) continue;
    const range = byConv.get(conversationId);
    if (!range) byConv.set(conversationId, { conversationId, lo: seq, hi: seq });
    else {
      range.lo = Math.min(range.lo, seq);
      range.hi = Math.max(range.hi, seq);
    }
  }
  return [...byConv.values()];
}

/**
 * The listener (`ctx.events.listen(deliveryLog(app.log.child({ component: "delivery" })))`).
 * Every handler checks the level first, once, so the default level costs nothing.
 */
export function deliveryLog(log: DebugLog): Partial<DeliveryEvents> {
  const on = () => log.isLevelEnabled?.("debug") === true;
  return {
    stored(e) {
      if (!on()) return;
      const { messageId, conversationId, seq, senderId, deviceId, acceptedAt, at } = e;
      log.debug({ event: "stored", messageId, conversationId, seq, senderId, deviceId, commitMs: at - acceptedAt }, "message stored");
    },
    pushed(device, entries, retransmit, _at) {
      if (!on()) return;
      const { userId, deviceId, transport, connectionId } = device;
      log.debug(
        {
          event: retransmit ? "retransmitted" : "pushed",
          userId,
          deviceId,
          transport,
          connection: connectionId,
          entries: entries.length,
          versions: versionSpans(entries),
          ...messagesOf(entries),
        },
        retransmit ? "entries pushed again" : "entries pushed",
      );
    },
    pulled(userId, deviceId, entries, _at) {
      // An empty pull (a long-poll answered with nothing new) is not notable.
      if (entries.length === 0 || !on()) return;
      log.debug({ event: "pulled", userId, deviceId, entries: entries.length, versions: versionSpans(entries), ...messagesOf(entries) }, "entries pulled");
    },
    resynced(userId, kind, _at) {
      if (!on()) return;
      log.debug({ event: "resynced", userId, kind }, kind === "reset" ? "pull answered with a reset" : "snapshot taken");
    },
    acked(device, entries, _at) {
      if (!on()) return;
      const { userId, deviceId, transport } = device;
      log.debug(
        { event: "acked", userId, deviceId, transport, entries: entries.length, versions: versionSpans(entries), ranges: ackedRanges(entries) },
        "entries acked",
      );
    },
    handedOver(device, reason, messages, _at) {
      if (!on()) return;
      const { userId, deviceId, transport } = device;
      log.debug({ event: "handed_over", userId, deviceId, transport, reason, ranges: messages }, "device handed over to Web Push");
    },
    notified(device, category, messages, _at) {
      if (!on()) return;
      const { userId, deviceId } = device;
      log.debug({ event: "notified", userId, deviceId, category, ranges: messages }, "push service accepted a notification");
    },
    pushReceipt(device, event, category, messages, _at) {
      if (!on()) return;
      log.debug({ event, userId: device?.userId, deviceId: device?.deviceId, category, ranges: messages }, `notification ${event}`);
    },
    read(userId, range, _at) {
      if (!on()) return;
      log.debug({ event: "read", userId, conversationId: range.conversationId, upTo: range.hi }, "read position moved");
    },
  };
}
