import { Counter, type Registry } from "prom-client";
import type { TraceConfig } from "../config.js";
import type { Storage } from "../storage/storage.js";
import type { TraceEvent, TraceRow } from "../storage/trace-types.js";
import { type AckedEntry, type DeliveryEvents, type DeviceRef, type SeqRange, seqRanges } from "./events.js";

/**
 * The message trace's recorder (docs/observability.md "Trace"): a listener on
 * `ctx.events` that turns delivery events into `trace_events` rows, keeps them
 * in memory and writes them every `flushMs` (WRITE_CHUNK rows per transaction). Observability
 * never slows or breaks chat: the buffer is bounded (beyond `bufferMax` rows
 * are dropped and counted), a failed write drops its batch (counted, logged
 * once, never retried), and nothing here throws at a call site.
 *
 * Each flush also deletes rows older than `keepMs`, at most `pruneBatch` per
 * flush, in the same transaction; an idle process prunes every
 * `IDLE_PRUNE_FLUSHES` flushes instead of every one.
 */

/** Rows a flush may prune at least (more when more came in), so that the table keeps up. */
export const PRUNE_BATCH = 5000;

/**
 * Rows written or deleted per transaction. SQLite runs a transaction on the
 * event loop (one writer): 250 rows hold it for a few ms, where 2,000 held it
 * for 20–100 ms and showed up as chat's p99 (issue 16). Each is a background
 * write (WriteOptions.background): never in one transaction with chat.
 */
export const WRITE_CHUNK = 250;

/** With nothing to write, a flush prunes only every this many flushes (an idle process barely touches the database). */
export const IDLE_PRUNE_FLUSHES = 30;

interface Logger {
  warn(obj: object, msg: string): void;
}

export interface TraceRecorderOptions {
  storage: Storage;
  /** This process's NODE_ID, on the rows of what it saw. */
  nodeId: string;
  config: TraceConfig;
  clock: () => number;
  log: Logger;
  /** Where `courier_trace_dropped_total` is registered (the app's metrics registry). */
  registry?: Registry;
}

type DropReason = "buffer_full" | "write_failed";

export class TraceRecorder {
  /** What `ctx.events.listen` takes. */
  readonly listener: Partial<DeliveryEvents>;
  /** Rows dropped so far, by reason (also `courier_trace_dropped_total{reason}`). */
  readonly dropped: Record<DropReason, number> = { buffer_full: 0, write_failed: 0 };

  private buffer: TraceRow[] = [];
  private flushing: Promise<void> | null = null;
  private idleFlushes = 0;
  /** The last prune deleted a full batch: there is more to delete. */
  private pruneBacklog = true;
  private timer: NodeJS.Timeout | null;
  private closed = false;
  private warned = false;
  private readonly droppedTotal: Counter<"reason">;

  constructor(private readonly opts: TraceRecorderOptions) {
    this.droppedTotal = new Counter({
      name: "courier_trace_dropped_total",
      help: "Message trace rows dropped: the buffer was full (buffer_full) or their write failed (write_failed).",
      labelNames: ["reason"],
      registers: opts.registry ? [opts.registry] : [],
    });
    const node = opts.nodeId;
    const device = (d: DeviceRef | null) => ({ userId: d?.userId ?? null, deviceId: d?.deviceId ?? null, transport: d?.transport ?? null, node });
    const ranges = (event: TraceEvent, list: readonly SeqRange[], at: number, who: ReturnType<typeof device>) =>
      this.add(list.map((r) => ({ conversationId: r.conversationId, seqLo: r.lo, seqHi: r.hi, at, event, ...who })));
    this.listener = {
      stored: (e) =>
        this.add([
          { conversationId: e.conversationId, seqLo: e.seq, seqHi: e.seq, at: e.at, event: "stored", userId: e.senderId, deviceId: e.deviceId ?? null, transport: null, node },
        ]),
      pushed: (d, entries, retransmit, at) => ranges(retransmit ? "retransmitted" : "pushed", seqRanges(entries), at, device(d)),
      pulled: (userId, deviceId, entries, at) => ranges("pulled", seqRanges(entries), at, { userId, deviceId, transport: null, node }),
      acked: (d, entries, at) => ranges("acked", ackedRanges(entries), at, device(d)),
      handedOver: (d, _reason, messages, at) => ranges("handed_over", messages, at, device(d)),
      notified: (d, _category, messages, at) => ranges("notified", messages, at, device(d)),
      pushReceipt: (d, event, _category, messages, at) => ranges(event, messages, at, device(d)),
      read: (userId, range, at) => ranges("read", [{ ...range, lo: 1 }], at, { userId, deviceId: null, transport: null, node }),
    };
    this.timer = setInterval(() => void this.flush(), opts.config.flushMs);
    this.timer.unref();
  }

  /** Rows waiting for the next flush. */
  get pending(): number {
    return this.buffer.length;
  }

  private add(rows: TraceRow[]): void {
    if (this.closed) return;
    const room = Math.max(0, this.opts.config.bufferMax - this.buffer.length);
    for (const row of rows.slice(0, room)) this.buffer.push(row);
    if (rows.length > room) this.drop("buffer_full", rows.length - room);
  }

  private drop(reason: DropReason, n: number): void {
    this.dropped[reason] += n;
    this.droppedTotal.inc({ reason }, n);
  }

  /** Writes what is buffered (and prunes), WRITE_CHUNK rows per transaction; resolves when done, never rejects. One flush at a time: a call during one waits for it. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const rows = this.buffer;
    this.buffer = [];
    const prune = rows.length > 0 || this.pruneBacklog || ++this.idleFlushes >= IDLE_PRUNE_FLUSHES;
    if (!prune) return;
    this.idleFlushes = 0;
    const before = this.opts.clock() - this.opts.config.keepMs;
    let written = 0;
    try {
      while (written < rows.length) {
        const chunk = rows.slice(written, written + WRITE_CHUNK);
        await this.opts.storage.write(async (tx) => tx.trace.insert(chunk), { background: true });
        written += chunk.length;
        // Let sockets and requests run between chunks (SQLite writes synchronously).
        await new Promise((resolve) => setImmediate(resolve));
      }
      // At least twice what came in: under steady load the table shrinks back to the kept hour.
      let budget = Math.max(PRUNE_BATCH, 2 * rows.length);
      let pruned = 0;
      do {
        const limit = Math.min(WRITE_CHUNK, budget);
        pruned = await this.opts.storage.write(async (tx) => tx.trace.prune(before, limit), { background: true });
        budget -= pruned;
        if (pruned === limit && budget > 0) await new Promise((resolve) => setImmediate(resolve));
      } while (pruned === WRITE_CHUNK && budget > 0);
      // The budget ran out with rows still to go: prune again at the next flush even if nothing comes in.
      this.pruneBacklog = budget <= 0;
      this.warned = false;
    } catch (err) {
      // The database is down or refused: what was not written is lost (counted), the next flush starts afresh
      // (warned once per outage: a write that succeeds again re-arms the warning).
      this.drop("write_failed", rows.length - written);
      if (!this.warned) {
        this.warned = true;
        this.opts.log.warn({ err, rows: rows.length - written }, "message trace: a write failed; its rows were dropped (counted in courier_trace_dropped_total)");
      }
    }
  }

  /** Stops the timer and writes what is buffered once (before storage closes). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    this.closed = true;
    await this.flush();
  }
}

/** Per conversation, one range 1..highest seq acked: acks are cumulative (the trace keeps the earliest covering one). */
function ackedRanges(entries: readonly AckedEntry[]): SeqRange[] {
  const highest = new Map<string, number>();
  for (const e of entries) {
    if (e.conversationId === undefined || e.seq === undefined) continue;
    highest.set(e.conversationId, Math.max(highest.get(e.conversationId) ?? 0, e.seq));
  }
  return [...highest].map(([conversationId, hi]) => ({ conversationId, lo: 1, hi }));
}
