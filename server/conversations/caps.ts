import type { RateLimiter } from "../http/rate-limit.js";

/**
 * Hourly caps on conversations created and members added (docs/groups.md),
 * taken before the write and given back for what turned out not to count:
 * an existing direct or item chat returned, people already in the group, a
 * refused request. All or none: a request that would pass a cap takes nothing.
 */
export class Tokens {
  private constructor(
    private readonly limiter: RateLimiter,
    private readonly key: string,
    private held: number,
  ) {}

  /** Takes `n` tokens, or none and refuses with `rate_limited` (429, Retry-After). */
  static async take(limiter: RateLimiter, key: string, n: number, what: string): Promise<Tokens> {
    const tokens = new Tokens(limiter, key, 0);
    try {
      for (; tokens.held < n; tokens.held++) await limiter.enforce(key, what);
    } catch (error) {
      await tokens.giveBack(tokens.held);
      throw error;
    }
    return tokens;
  }

  /** Returns `n` of the tokens held (all by default). */
  async giveBack(n = this.held): Promise<void> {
    const back = Math.min(n, this.held);
    for (let i = 0; i < back; i++) await this.limiter.giveBack(this.key);
    this.held -= back;
  }

  /** Runs `work` holding the tokens; gives them all back if it fails. */
  async spend<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      await this.giveBack();
      throw error;
    }
  }
}
