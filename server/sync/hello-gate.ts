import type { Entry, Versions } from "../../shared/protocol/index.js";

/**
 * Keeps the promise "hello comes first, and pushes carry only entries after
 * hello.heads" for any transport.
 *
 *   registered ──(entries queue)──▶ open(heads) ──▶ live
 *                                     │ flush queue, v > heads only
 *
 * A connection is registered with the hub *before* heads are read, so an
 * append racing the handshake is either inside the heads (dropped here, the
 * client pulls it) or queued and flushed after hello.
 */
export class HelloGate {
  private queue: Entry[] | null = [];
  private heads: Versions | null = null;

  constructor(private readonly send: (entries: Entry[]) => void) {}

  push(entries: Entry[]): void {
    if (this.queue) {
      this.queue.push(...entries);
      return;
    }
    this.sendFresh(entries);
  }

  /**
   * A retransmission: dropped before hello (hello's heads and the client's
   * pull cover it), then only versions above the heads. Returns how many
   * entries went out.
   */
  repush(entries: Entry[]): number {
    return this.queue ? 0 : this.sendFresh(entries);
  }

  /** Call right after hello has been sent with these heads. */
  open(heads: Versions): void {
    if (!this.queue) return;
    const queued = this.queue;
    this.queue = null;
    this.heads = heads;
    if (queued.length > 0) this.push(queued);
  }

  get isOpen(): boolean {
    return this.queue === null;
  }

  private sendFresh(entries: Entry[]): number {
    const heads = this.heads!;
    const fresh = entries.filter((e) => e.v > heads[e.d]);
    if (fresh.length > 0) this.send(fresh);
    return fresh.length;
  }
}
