import type { Entry } from "../../shared/protocol/index.js";
import type { Appended } from "./tx.js";

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
