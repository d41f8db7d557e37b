/**
 * "Full jitter" exponential backoff: a random delay between 0 and
 * min(cap, base·2^attempt), so clients that lost the same server do not
 * come back in lockstep.
 */
export function fullJitter(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(random() * ceiling);
}
