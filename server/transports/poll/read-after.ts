import { DOMAINS, type Domain, type Entry, type Versions } from "../../../shared/protocol/index.js";
import type { SyncReader } from "../../sync/log.js";

export interface ReadAfter {
  /** Per domain in priority order, each run ascending and contiguous from the cursor. */
  entries: Entry[];
  heads: Versions;
  /** The cursor after these entries; unchanged for domains with none (or a reset). */
  cursor: Versions;
  /** Domains whose cursor is older than the ring. */
  reset: Domain[];
}

/**
 * What a device is missing after `from`, at most `max` entries in all. The
 * highest-priority domain is served first; a lower one left out by the bound
 * is served by the next poll, which the client sends at once.
 */
export async function readAfter(storage: SyncReader, userId: string, from: Versions, max: number): Promise<ReadAfter> {
  const heads = await storage.heads(userId);
  const cursor = { ...from };
  const entries: Entry[] = [];
  const reset: Domain[] = [];
  for (const d of DOMAINS) {
    const budget = max - entries.length;
    if (from[d] >= heads[d] || budget <= 0) continue;
    const page = await storage.pull(userId, d, from[d], budget);
    heads[d] = Math.max(heads[d], page.head);
    if (page.reset) {
      reset.push(d);
      continue;
    }
    entries.push(...page.entries);
    const last = page.entries.at(-1);
    if (last) cursor[d] = last.v;
  }
  return { entries, heads, cursor, reset };
}
