import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Hub } from "../../sync/hub.js";
import { PollPresences } from "./presence.js";
import { PollWaiter, type Signal } from "./waiter.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Parks a waiter and records what it was answered with. */
function parked(waiter: PollWaiter, ms = 10_000) {
  const got: Signal[] = [];
  void waiter.park(ms).then((s) => got.push(s));
  return got;
}

describe("PollWaiter", () => {
  it("keeps a signal that came while reading, so the append is not slept through", async () => {
    const w = new PollWaiter();
    w.signal("woken");
    expect(await w.park(10_000)).toBe("woken");
  });

  it("times out after its wait, and a final signal outranks a pending wake", async () => {
    const w = new PollWaiter();
    const got = parked(w, 500);
    await vi.advanceTimersByTimeAsync(499);
    expect(got).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(got).toEqual(["timeout"]);

    const v = new PollWaiter();
    v.signal("woken");
    v.signal("logout");
    v.signal("woken");
    expect(await v.park(10)).toBe("logout");
    expect(v.ended).toBe("logout");
  });
});

describe("PollPresences", () => {
  it("registers one connection per device and session, answers the oldest waiter over the cap", async () => {
    const hub = new Hub();
    const presences = new PollPresences({ hub, now: Date.now, maxParked: 2 });
    const p = await presences.enter("u", "d", "s");
    expect(await presences.enter("u", "d", "s")).toBe(p);
    const [a, b, c] = [new PollWaiter(), new PollWaiter(), new PollWaiter()];
    const got = [a, b, c].map((w) => {
      p.join(w);
      return parked(w);
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(got).toEqual([["superseded"], [], []]);
    expect(p.waiting).toBe(2);
    p.push([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(got).toEqual([["superseded"], ["woken"], ["woken"]]);
    expect(hub.countByTransport()).toEqual({ ws: 0, sse: 0, poll: 1 });
  });

  it("stays registered for the linger after the last poll, renewed by a new poll, then is forgotten", async () => {
    const hub = new Hub();
    const presences = new PollPresences({ hub, now: Date.now });
    const p = await presences.enter("u", "d", "s");
    const w = new PollWaiter();
    p.join(w);
    p.leave(w, 1000);
    await vi.advanceTimersByTimeAsync(900);
    expect(hub.transportOf("u", "d")).toBe("poll");

    const again = new PollWaiter();
    (await presences.enter("u", "d", "s")).join(again);
    await vi.advanceTimersByTimeAsync(5000); // parked: never expires meanwhile
    expect(hub.transportOf("u", "d")).toBe("poll");
    p.leave(again, 1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(hub.transportOf("u", "d")).toBeNull();
    expect(presences.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("closing through the hub answers every waiter with the reason and clears its timer", async () => {
    const hub = new Hub();
    const presences = new PollPresences({ hub, now: Date.now });
    const p = await presences.enter("u", "d", "s");
    const w = new PollWaiter();
    p.join(w);
    const got = parked(w);
    expect(hub.closeWhere((c) => c.sessionId === "s", "logout")).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(got).toEqual(["logout"]);
    p.leave(w, 1000);
    expect(presences.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // A poll that joins a closed presence learns it at once.
    const late = new PollWaiter();
    p.join(late);
    expect(late.ended).toBe("logout");
  });
});
