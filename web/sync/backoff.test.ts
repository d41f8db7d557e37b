import { describe, expect, it } from "vitest";
import { Backoff, RECONNECT_BACKOFF, Reconnector, fullJitter, retryAfterIn } from "./backoff.js";
import { seeded } from "../../shared/sync/testing.js";
import { FakeClock } from "./fake-clock.js";

const { baseMs, capMs, hiddenCapMs } = RECONNECT_BACKOFF;

describe("fullJitter", () => {
  it("draws between 0 and min(cap, base·2^attempt)", () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => fullJitter(n, 500, 5_000, () => 1))).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(fullJitter(3, 500, 5_000, () => 0)).toBe(0);
  });
});

describe("Backoff", () => {
  it(`grows from ${baseMs} ms to ${capMs} ms while the page is visible, and spreads clients out`, () => {
    const backoff = new Backoff({ clock: new FakeClock(), random: () => 1 });
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);

    const random = seeded(42);
    const many = new Backoff({ clock: new FakeClock(), random });
    const delays = Array.from({ length: 200 }, () => many.next());
    expect(Math.max(...delays)).toBeLessThanOrEqual(capMs);
    expect(new Set(delays).size).toBeGreaterThan(100); // not in lockstep
  });

  it(`backs off up to ${hiddenCapMs / 1000} s while hidden, and for refusals even while visible`, () => {
    const hidden = new Backoff({ clock: new FakeClock(), random: () => 1 });
    hidden.setHidden(true);
    expect(Array.from({ length: 8 }, () => hidden.next())).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);

    const refused = new Backoff({ clock: new FakeClock(), random: () => 1 });
    expect(Array.from({ length: 8 }, () => refused.next({ patient: true })).at(-1)).toBe(hiddenCapMs);
  });

  it("never comes back before the server asked, and remembers the ask for later attempts and wake-ups", () => {
    const clock = new FakeClock(1_000);
    const backoff = new Backoff({ clock, random: () => 0 });
    expect(backoff.remaining()).toBe(0);
    expect(backoff.next({ retryAfterMs: 7_000 })).toBe(7_000);
    clock.advance(3_000);
    expect(backoff.remaining()).toBe(4_000);
    expect(backoff.next()).toBe(4_000); // a failure meanwhile still waits out the ask
    expect(backoff.next({ retryAfterMs: 1_000 })).toBe(4_000); // a shorter ask does not shorten the first
    clock.advance(4_000);
    expect(backoff.remaining()).toBe(0);
    expect(backoff.next()).toBe(0);
  });

  it("starts from the base again once the link proved itself", () => {
    const backoff = new Backoff({ clock: new FakeClock(), random: () => 1 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(baseMs);
  });

  it("immediateFirst: the first attempt goes at once, repeats back off", () => {
    const backoff = new Backoff({ clock: new FakeClock(), random: () => 1, immediateFirst: true });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([0, 500, 1_000]);
    backoff.reset();
    expect(backoff.next()).toBe(0);
  });
});

describe("Reconnector", () => {
  it("reconnects after the backoff; a wake-up reconnects at once", () => {
    const clock = new FakeClock();
    let reconnects = 0;
    const reconnector = new Reconnector(() => reconnects++, { clock, random: () => 1 });
    expect(reconnector.afterFailure()).toBe(500);
    clock.advance(499);
    expect(reconnects).toBe(0);
    clock.advance(1);
    expect(reconnects).toBe(1);

    reconnector.afterFailure();
    reconnector.hurry();
    expect(reconnects).toBe(2);
    expect(clock.pending).toBe(0);
    reconnector.hurry(); // nothing pending: nothing to hurry
    expect(reconnects).toBe(2);
  });

  it("a wake-up does not beat the server's Retry-After: it waits out the rest of it", () => {
    const clock = new FakeClock();
    let reconnects = 0;
    const reconnector = new Reconnector(() => reconnects++, { clock, random: () => 0 });
    reconnector.afterFailure({ retryAfterMs: 10_000 });
    clock.advance(4_000);
    reconnector.hurry();
    clock.advance(5_999);
    expect(reconnects).toBe(0);
    clock.advance(1);
    expect(reconnects).toBe(1);
  });

  it("after(delay) waits that long, but not less than the server asked; cancel() drops it", () => {
    const clock = new FakeClock();
    let reconnects = 0;
    const reconnector = new Reconnector(() => reconnects++, { clock, random: () => 0 });
    reconnector.after(300);
    clock.advance(300);
    expect(reconnects).toBe(1);
    reconnector.afterFailure({ retryAfterMs: 2_000 });
    reconnector.after(300);
    clock.advance(1_999);
    expect(reconnects).toBe(1);
    clock.advance(1);
    expect(reconnects).toBe(2);
    reconnector.afterFailure();
    reconnector.cancel();
    clock.advance(60_000);
    expect(reconnects).toBe(2);
  });
});

describe("retryAfterIn", () => {
  it("reads a sensible retryAfterMs from a refusal's or close event's data", () => {
    expect(retryAfterIn({ code: "unavailable", retryAfterMs: 2_500 })).toBe(2_500);
    expect(retryAfterIn({ retryAfterMs: 0 })).toBeUndefined();
    expect(retryAfterIn({ retryAfterMs: "soon" })).toBeUndefined();
    expect(retryAfterIn({ retryAfterMs: Number.POSITIVE_INFINITY })).toBeUndefined();
    expect(retryAfterIn(null)).toBeUndefined();
    expect(retryAfterIn("retryAfterMs")).toBeUndefined();
  });
});
