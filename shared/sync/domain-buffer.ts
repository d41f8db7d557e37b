import type { Entry } from "../protocol/entries.js";
import type { VersionRange } from "../protocol/sync.js";

/**
 * One domain's arrivals that are not consumed yet, keyed by version. A later
 * copy of a version replaces the earlier one (a retransmission may carry a
 * fresher `at`); versions already consumed never get in.
 */
export class DomainBuffer {
  private readonly entries = new Map<number, Entry>();
  /** Highest version known to exist on the server (hello, pull heads, pushes). */
  head = 0;
  /** When the current hole was first seen (null: no hole being waited on). */
  holeSince: number | null = null;
  /** We know entries are missing that will not be pushed: pull without settling. */
  urgent = false;

  get size(): number {
    return this.entries.size;
  }

  has(v: number): boolean {
    return this.entries.has(v);
  }

  /** Returns true when the version was already buffered (a duplicate). */
  put(entry: Entry): boolean {
    const duplicate = this.entries.has(entry.v);
    this.entries.set(entry.v, entry);
    this.noteHead(entry.v);
    return duplicate;
  }

  noteHead(v: number): void {
    if (v > this.head) this.head = v;
  }

  /** The contiguous run starting at `from`, at most `max` long. */
  runFrom(from: number, max: number): Entry[] {
    const run: Entry[] = [];
    for (let v = from; run.length < max; v++) {
      const entry = this.entries.get(v);
      if (!entry) break;
      run.push(entry);
    }
    return run;
  }

  dropThrough(v: number): void {
    for (const key of this.entries.keys()) if (key <= v) this.entries.delete(key);
  }

  /**
   * The versions in (after, end] we do not hold, as ranges: what a sparse
   * pull asks for. Null when a plain pull is as good (we hold none of them),
   * the holes are too many to list (more than `maxRanges`), or after+1
   * itself is held (a catch-up while it waits to be applied: the answer must
   * still start at after+1).
   */
  missingRanges(after: number, end: number, maxRanges: number): VersionRange[] | null {
    if (this.entries.has(after + 1)) return null;
    const ranges: Array<[number, number]> = [];
    let held = 0;
    for (let v = after + 1; v <= end; v++) {
      if (this.entries.has(v)) {
        held++;
        continue;
      }
      const last = ranges[ranges.length - 1];
      if (last && last[1] === v - 1) last[1] = v;
      else if (ranges.push([v, v]) > maxRanges) return null;
    }
    return held > 0 ? ranges : null;
  }

  /** Highest version in (after, head] we do not hold; `after` when none is missing. */
  lastMissing(after: number): number {
    let v = this.head;
    while (v > after && this.entries.has(v)) v--;
    return v;
  }
}
