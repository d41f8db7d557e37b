import type { Clock } from "../../shared/sync/types.js";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A Clock for tests: time moves only when the test says so, timers fire in
 * due order (ties in the order they were set), each at its own time.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Timers still to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due meanwhile (and those they set, if due). */
  advance(ms: number): void {
    const until = this.current + ms;
    for (let timer = this.nextDue(until); timer; timer = this.nextDue(until)) {
      this.current = timer.at;
      timer.fn();
    }
    this.current = until;
  }

  /** As advance(), letting promises settle after each timer and at the end (ping answers, HTTP fakes). */
  async advanceAsync(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (let timer = this.nextDue(until); timer; timer = this.nextDue(until)) {
      this.current = timer.at;
      timer.fn();
      await settle();
    }
    this.current = until;
    await settle();
  }

  private nextDue(until: number): Timer | undefined {
    let next: Timer | undefined;
    for (const timer of this.timers) if (timer.at <= until && (!next || timer.at < next.at || (timer.at === next.at && timer.id < next.id))) next = timer;
    if (next) this.timers = this.timers.filter((timer) => timer !== next);
    return next;
  }
}

/** Lets pending promise callbacks run (a few rounds, for chains), without moving any clock. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
