/** Timers, injected so tests control time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending notification must not keep a stopping process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Window<T> {
  items: T[];
  timer: unknown;
}

/**
 * Collapse windows: the first item for a key opens a window of `windowMs`;
 * items for the same key arriving before it closes join it; when it closes,
 * `flush(key, items)` runs once with all of them. So a burst of five messages
 * becomes one notification, sent at most `windowMs` after the first, and a
 * steady stream still yields one per window (the window is fixed, not
 * restarted by each item). `windowMs` 0 still defers to the next timer tick,
 * which collapses what one append carried.
 */
export class CollapseWindows<T> {
  private readonly windows = new Map<string, Window<T>>();

  constructor(
    private readonly windowMs: number,
    private readonly flush: (key: string, items: T[]) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Adds an item; "opened" if it started a window, "joined" if one was waiting. */
  add(key: string, item: T): "opened" | "joined" {
    const open = this.windows.get(key);
    if (open) {
      open.items.push(item);
      return "joined";
    }
    const window: Window<T> = { items: [item], timer: null };
    window.timer = this.timers.setTimeout(() => this.close(key, window), this.windowMs);
    this.windows.set(key, window);
    return "opened";
  }

  /** Drops a waiting window without flushing it; returns its items. */
  cancel(key: string): T[] {
    const window = this.windows.get(key);
    if (!window) return [];
    this.timers.clearTimeout(window.timer);
    this.windows.delete(key);
    return window.items;
  }

  /** Whether a window is open for `key`. */
  has(key: string): boolean {
    return this.windows.has(key);
  }

  /** Keys with a window open. */
  keys(): string[] {
    return [...this.windows.keys()];
  }

  /** Closes every window now (shutdown, tests). */
  flushAll(): void {
    for (const [key, window] of [...this.windows]) {
      this.timers.clearTimeout(window.timer);
      this.close(key, window);
    }
  }

  /** Forgets every window without flushing. */
  clear(): void {
    for (const window of this.windows.values()) this.timers.clearTimeout(window.timer);
    this.windows.clear();
  }

  get size(): number {
    return this.windows.size;
  }

  private close(key: string, window: Window<T>): void {
    if (this.windows.get(key) !== window) return;
    this.windows.delete(key);
    this.flush(key, window.items);
  }
}
