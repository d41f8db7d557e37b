import type { Entry } from "../../shared/protocol/index.js";
import type { Appended, NewEntry } from "./tx.js";

/**
 * Collects the entries one transaction appends, per user, in append order.
 * Handed back to the caller only after the commit, so nothing is pushed for a
 * transaction that rolled back. Shared by the engines.
 */
export class AppendBatch {
  private readonly byUser = new Map<string, Entry[]>();

  add(userId: string, entry: Entry): void {
    const list = this.byUser.get(userId);
    if (list) list.push(entry);
    else this.byUser.set(userId, [entry]);
  }

  toAppended(): Appended {
    return [...this.byUser].map(([userId, entries]) => ({ userId, entries }));
  }
}

/**
 * Each entry's data as stored (JSON), serialised once for each run of
 * neighbouring entries that share one object: a fan-out's entries do (a group
 * message's `{message}` for every member), so a 500-member group serialises
 * it once, not 500 times.
 */
export function entryData(entries: readonly NewEntry[]): string[] {
  let last: unknown;
  let json = "";
  return entries.map((e, i) => {
    if (i === 0 || e.data !== last) {
      last = e.data;
      json = JSON.stringify(e.data) ?? "null";
    }
    return json;
  });
}
