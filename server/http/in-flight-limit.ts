import { CourierError } from "../../shared/protocol/index.js";

/** What a refused request is told to wait: the requests in flight are answered within this, normally. */
export const IN_FLIGHT_RETRY_MS = 500;

/**
 * A cap on concurrent work per key (a socket's pulls, a user's HTTP pulls on
 * this process). A token bucket limits how many requests start per minute;
 * this limits how many heavy ones run at once, so a burst that the bucket
 * allows still cannot pile up work. The check is synchronous, before any
 * await: a refusal costs nothing but the answer.
 */
export class InFlightLimit {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly max: number,
    /** "pulls": the refusal says "Too many pulls at once". */
    private readonly what: string,
  ) {}

  /** Runs `work` unless `key` already has `max` in flight, which is refused at once with `rate_limited`. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max) {
      return Promise.reject(new CourierError("rate_limited", `Too many ${this.what} at once; wait for the answers.`, IN_FLIGHT_RETRY_MS));
    }
    this.counts.set(key, n + 1);
    const done = () => {
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
    };
    let running: Promise<T>;
    try {
      running = work();
    } catch (err) {
      running = Promise.reject(err);
    }
    return running.finally(done);
  }

  /** Work in flight for `key` (tests). */
  inFlight(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}
