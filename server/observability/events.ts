import type { Domain, Entry, PushCategory, TransportName } from "../../shared/protocol/index.js";

/**
 * Delivery events: the one seam between where things happen to messages and
 * entries (send, hub, sync service, retransmitter, Web Push, receipts) and
 * who watches them (metrics, the message trace). docs/observability.md.
 *
 * Call sites call `ctx.events.<event>(…)` after the fact (after the commit,
 * after the push); listeners must be cheap and must not throw (the fan-out
 * catches and logs once anyway). Nothing here carries message text.
 */

/** An entry a device acked, as the ack's transaction read it: when it was committed and, for a message, where it is. */
export interface AckedEntry {
  d: Domain;
  v: number;
  /** Commit time (the entry's `at`), epoch ms. */
  at: number;
  /** For a `msg` entry: its conversation and seq (the trace's key). */
  conversationId?: string;
  seq?: number;
  /**
   * Committed before the device was registered: a new device acks what its
   * snapshot brought, which was never delivered to it, so delivery time and
   * arrival leave it out (the trace keeps it: the device holds the message).
   */
  catchUp?: boolean;
}

/** A run of messages of one conversation (`seq` from `lo` to `hi`, inclusive): how the trace keys its rows. */
export interface SeqRange {
  conversationId: string;
  lo: number;
  hi: number;
}

/** Who (which device, over what) an event is about; `transport` where a live connection was involved. */
export interface DeviceRef {
  userId: string;
  deviceId: string;
  transport?: TransportName;
}

/** What the web app reports (`POST /api/telemetry`, shared/protocol `telemetrySchema`), already validated. */
export interface ClientReport {
  /** Transport the reporting tab was on when it sent the batch. */
  transport: TransportName | null;
  /** Entry received → message painted on screen, in ms, one per message shown live. */
  renderMs: number[];
  /** Pulls started because a version was missing (a hole), since the last report. */
  holePulls: number;
  /** Transport changes since the last report (from → to). */
  switches: { from: TransportName; to: TransportName }[];
  /** Outbox waits: a message's time in the outbox before the server accepted it, in ms. */
  outboxMs: number[];
}

export interface DeliveryEvents {
  /** A message committed: `acceptedAt` when the send reached the server, `at` its commit time. */
  stored(e: { messageId: string; conversationId: string; seq: number; senderId: string; deviceId?: string; acceptedAt: number; at: number }): void;
  /** The hub handed `entries` to a live connection (`retransmit`: a re-push of unacked entries). `at`: now. */
  pushed(device: DeviceRef & { transport: TransportName; connectionId: string }, entries: readonly Entry[], retransmit: boolean, at: number): void;
  /** A device pulled these entries (any transport; `deviceId` null when the request names none). */
  pulled(userId: string, deviceId: string | null, entries: readonly Entry[], at: number): void;
  /** A device (or a user's request) took a snapshot; `reset`: a pull answered with a reset instead of entries. */
  resynced(userId: string, kind: "snapshot" | "reset", at: number): void;
  /** A device's ack moved its versions: the entries it newly acked. */
  acked(device: DeviceRef, entries: readonly AckedEntry[], at: number): void;
  /** A device was handed to the offline channel (Web Push) with unacked pushes; `messages`: what it had not acked, where known. */
  handedOver(device: DeviceRef, reason: string, messages: readonly SeqRange[], at: number): void;
  /** The push service accepted a notification for a device; `messages`: what it announces. */
  notified(device: DeviceRef, category: PushCategory, messages: readonly SeqRange[], at: number): void;
  /** A service worker reported a notification displayed or clicked. */
  pushReceipt(device: DeviceRef | null, event: "displayed" | "clicked", category: PushCategory, messages: readonly SeqRange[], at: number): void;
  /** A user's read position moved in a conversation (to `hi`; everything up to it is read). */
  read(userId: string, range: SeqRange, at: number): void;
  /** What a web app reported. */
  client(userId: string, report: ClientReport, at: number): void;
}

type Listener = Partial<DeliveryEvents>;

interface Logger {
  warn(obj: object, msg: string): void;
}

/**
 * The fan-out on the context: every call goes to each listener that handles
 * it; a throwing listener is logged (once per listener and event) and never
 * reaches the call site.
 */
export class Events implements DeliveryEvents {
  private readonly listeners: Listener[] = [];
  private readonly warned = new Set<string>();

  constructor(private readonly log?: Logger) {}

  listen(listener: Listener): void {
    this.listeners.push(listener);
  }

  private emit<K extends keyof DeliveryEvents>(event: K, args: Parameters<DeliveryEvents[K]>): void {
    for (const [i, listener] of this.listeners.entries()) {
      const handle = listener[event] as ((...a: Parameters<DeliveryEvents[K]>) => void) | undefined;
      if (!handle) continue;
      try {
        handle.apply(listener, args);
      } catch (err) {
        const key = `${i}/${event}`;
        if (this.warned.has(key)) continue;
        this.warned.add(key);
        this.log?.warn({ err, event }, "a delivery event listener failed");
      }
    }
  }

  stored(...a: Parameters<DeliveryEvents["stored"]>) { this.emit("stored", a); }
  pushed(...a: Parameters<DeliveryEvents["pushed"]>) { this.emit("pushed", a); }
  pulled(...a: Parameters<DeliveryEvents["pulled"]>) { this.emit("pulled", a); }
  resynced(...a: Parameters<DeliveryEvents["resynced"]>) { this.emit("resynced", a); }
  acked(...a: Parameters<DeliveryEvents["acked"]>) { this.emit("acked", a); }
  handedOver(...a: Parameters<DeliveryEvents["handedOver"]>) { this.emit("handedOver", a); }
  notified(...a: Parameters<DeliveryEvents["notified"]>) { this.emit("notified", a); }
  pushReceipt(...a: Parameters<DeliveryEvents["pushReceipt"]>) { this.emit("pushReceipt", a); }
  read(...a: Parameters<DeliveryEvents["read"]>) { this.emit("read", a); }
  client(...a: Parameters<DeliveryEvents["client"]>) { this.emit("client", a); }
}

/** A message entry's place, for the trace (`msg` entries carry the message). */
export function messageRef(entry: Entry): { messageId: string; conversationId: string; seq: number } | null {
  if (entry.k !== "msg") return null;
  const m = (entry.data as { message?: { id?: unknown; conversationId?: unknown; seq?: unknown } } | null)?.message;
  return typeof m?.id === "string" && typeof m.conversationId === "string" && typeof m.seq === "number"
    ? { messageId: m.id, conversationId: m.conversationId, seq: m.seq }
    : null;
}

/** Runs of consecutive seqs per conversation, from message entries (what a push or pull carried). */
export function seqRanges(entries: readonly Entry[]): SeqRange[] {
  return rangesOf(entries.map(messageRef).filter((ref) => ref !== null));
}

/** Runs of consecutive seqs per conversation, from messages' places (what a notification announced). */
export function rangesOf(refs: readonly { conversationId: string; seq: number }[]): SeqRange[] {
  const byConv = new Map<string, number[]>();
  for (const ref of refs) {
    let list = byConv.get(ref.conversationId);
    if (!list) byConv.set(ref.conversationId, (list = []));
    list.push(ref.seq);
  }
  const ranges: SeqRange[] = [];
  for (const [conversationId, seqs] of byConv) {
    seqs.sort((a, b) => a - b);
    let lo = seqs[0]!;
    let hi = lo;
    for (const s of seqs.slice(1)) {
      if (s <= hi + 1) hi = Math.max(hi, s);
      else {
        ranges.push({ conversationId, lo, hi });
        lo = hi = s;
      }
    }
    ranges.push({ conversationId, lo, hi });
  }
  return ranges;
}
