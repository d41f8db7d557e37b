import fc from "fast-check";
import { changes, type StorageDump } from "./storage-dump.js";

/**
 * What every fuzz property shares: one seed per run (printed, replayable with
 * FUZZ_SEED), bounded runs, a tally of answers, and the rule a refused request
 * is held to: storage exactly as it was.
 */
export const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
/** Cases per door (route or socket event): the whole fuzzer stays well under a minute. */
export const RUNS_PER_DOOR = Number(process.env.FUZZ_RUNS ?? 40);

export class Tally {
  private readonly counts = new Map<string, number>();
  private readonly started = performance.now();
  total = 0;

  add(outcome: string): void {
    this.total++;
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  toString(): string {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const outcomes = [...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}×${n}`);
    return `${this.total} cases in ${seconds} s: ${outcomes.join(" ")}`;
  }
}

/**
 * Runs `work` and, if it was refused, fails when storage differs afterwards.
 * A refusal leaves storage as it was, so its dump is the next case's "before":
 * a run of refusals costs one dump each, not two.
 */
export class Unchanged {
  private last: Record<string, string[]> | null = null;

  constructor(private readonly dump: StorageDump) {}

  /** Something outside the cases changed storage (a reconnect records its device): read afresh next time. */
  forget(): void {
    this.last = null;
  }

  /** `work` must start the request itself: one started earlier races the read of "before" (and may be answered before anyone listens). */
  async by<T>(work: () => Promise<T>, isRefusal: (result: T) => boolean, label: (result: T) => string): Promise<T> {
    const before = this.last ?? (await this.dump.read());
    this.last = null;
    const result = await work();
    if (!isRefusal(result)) return result;
    const after = await this.dump.read();
    const diff = changes(before, after);
    if (diff.length > 0) throw new Error(`refused (${label(result)}) yet storage changed:\n  ${diff.join("\n  ")}`);
    this.last = after;
    return result;
  }
}

/** fc.assert for one door, its seed derived from the run's; a failure says how to replay it. */
export async function fuzzDoor<T>(door: string, index: number, arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<void>): Promise<void> {
  try {
    await fc.assert(fc.asyncProperty(arbitrary, check), { seed: SEED + index, numRuns: RUNS_PER_DOOR });
  } catch (err) {
    // fast-check keeps the property's own error as the cause.
    const cause = err instanceof Error && err.cause instanceof Error ? `\n${err.cause.message}` : "";
    throw new Error(`fuzzing ${door} failed (replay the run with FUZZ_SEED=${SEED}):\n${err instanceof Error ? err.message : String(err)}${cause}`);
  }
}
