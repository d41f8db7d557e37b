import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CollapseWindows, type Timers } from "./collapse.js";

const timers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

describe("collapse windows", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("turns a burst into one flush per (device, conversation) at the end of a fixed window", () => {
    const flushed: [string, number[]][] = [];
    const w = new CollapseWindows<number>(1500, (key, items) => flushed.push([key, items]), timers);
    expect(w.add("dev1|c1", 1)).toBe("opened");
    vi.advanceTimersByTime(200);
    expect(w.add("dev1|c1", 2)).toBe("joined");
    expect(w.add("dev1|c2", 10)).toBe("opened");
    expect(w.add("dev2|c1", 20)).toBe("opened");
    vi.advanceTimersByTime(1000);
    expect(w.add("dev1|c1", 3)).toBe("joined");
    expect(flushed).toEqual([]);
    vi.advanceTimersByTime(299);
    expect(flushed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(flushed).toEqual([["dev1|c1", [1, 2, 3]]]);
    vi.advanceTimersByTime(200);
    expect(flushed.map(([k]) => k)).toEqual(["dev1|c1", "dev1|c2", "dev2|c1"]);
    expect(w.size).toBe(0);
  });

  it("is not a debounce: a steady stream still yields one flush per window", () => {
    const flushed: number[][] = [];
    const w = new CollapseWindows<number>(1000, (_k, items) => flushed.push(items), timers);
    for (let i = 0; i < 30; i++) {
      w.add("k", i);
      vi.advanceTimersByTime(100);
    }
    expect(flushed).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      [20, 21, 22, 23, 24, 25, 26, 27, 28, 29],
    ]);
  });

  it("cancels a window without flushing, and flushes everything at once on demand", () => {
    const flushed: string[] = [];
    const w = new CollapseWindows<number>(1000, (key) => flushed.push(key), timers);
    w.add("a", 1);
    w.add("b", 2);
    expect([w.has("a"), w.has("c")]).toEqual([true, false]);
    expect(w.cancel("a")).toEqual([1]);
    expect(w.has("a")).toBe(false);
    expect(w.cancel("a")).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(flushed).toEqual(["b"]);
    w.add("c", 3);
    w.add("d", 4);
    w.flushAll();
    expect(flushed).toEqual(["b", "c", "d"]);
    vi.advanceTimersByTime(5000);
    expect(flushed).toEqual(["b", "c", "d"]);
  });

  it("with a zero window still collapses what arrives in the same tick", () => {
    const flushed: number[][] = [];
    const w = new CollapseWindows<number>(0, (_k, items) => flushed.push(items), timers);
    w.add("k", 1);
    w.add("k", 2);
    vi.advanceTimersByTime(0);
    expect(flushed).toEqual([[1, 2]]);
  });
});
