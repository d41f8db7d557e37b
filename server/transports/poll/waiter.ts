import type { CloseReason } from "../../sync/hub.js";

/**
 * Why a waiting poll stops waiting: `woken` (an entry was appended for the
 * user: read again), `timeout` (its `wait` ran out), `superseded` (a newer
 * poll of the device took its place), `gone` (the client left), or the hub's
 * close reasons.
 */
export type Signal = "woken" | "timeout" | "superseded" | "gone" | CloseReason;

/**
 * One poll request between its first read and its answer.
 *
 *   reading ──signal──▶ (kept as pending) ──park()──▶ resolves at once
 *   reading ──park(ms)──▶ parked ──signal / ms elapse──▶ resolved
 *
 * A signal that arrives while the request is still reading storage is kept,
 * so an append racing the read is never slept through. A final signal
 * (anything but `woken`) wins over a pending `woken`.
 */
export class PollWaiter {
  private pending: Signal | null = null;
  private settle: ((signal: Signal) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private final: Signal | null = null;

  signal(signal: Signal): void {
    if (signal !== "woken") this.final ??= signal;
    const settle = this.settle;
    if (settle) {
      this.settle = null;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      settle(signal);
      return;
    }
    if (this.pending === null || this.pending === "woken") this.pending = signal;
  }

  /** The first final signal received, if any: the request must not park again. */
  get ended(): Signal | null {
    return this.final;
  }

  park(ms: number): Promise<Signal> {
    const pending = this.pending;
    if (pending !== null) {
      this.pending = null;
      return Promise.resolve(pending);
    }
    return new Promise((resolve) => {
      this.settle = resolve;
      this.timer = setTimeout(() => this.signal("timeout"), ms);
    });
  }
}
