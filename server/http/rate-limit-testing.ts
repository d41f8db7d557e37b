import { DEFAULT_RATE_LIMITS, type RateLimits } from "../config.js";

/** A clock a test moves by hand (`clock.now += ms`); pass `clock.read` to `startServer`. */
export function fakeClock(start = 1_700_000_000_000) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

/** The default limits with some replaced, for `startServer({ rateLimits })`. */
export const limits = (overrides: Partial<RateLimits>): RateLimits => ({ ...DEFAULT_RATE_LIMITS, ...overrides });
