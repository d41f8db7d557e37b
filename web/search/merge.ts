import { searchOrder } from "../../shared/protocol/index.js";
import type { StoredMessage } from "../db/records.js";

/** Where a result was found: the index on this device (shown at once) or the server's search of all history. */
export type SearchSource = "device" | "server";

export interface SearchHit {
  message: StoredMessage;
  source: SearchSource;
}

/**
 * One list from this device's results and the server's, in search order
 * (`searchOrder`, the server's), by message id: a message both found is
 * shown once, as the device's. A server result this
 * device holds as recalled or deleted for me (`held`, read live) is dropped:
 * the server answered before the recall reached it, or the answer crossed it.
 */
export function mergeResults(local: readonly StoredMessage[], server: readonly StoredMessage[], held: ReadonlyMap<string, StoredMessage>): SearchHit[] {
  const hits = new Map<string, SearchHit>();
  for (const message of local) hits.set(message.id, { message, source: "device" });
  for (const message of server) {
    const here = held.get(message.id);
    if (hits.has(message.id) || here?.recalled || here?.hidden) continue;
    hits.set(message.id, { message, source: "server" });
  }
  return [...hits.values()].sort((a, b) => searchOrder(a.message, b.message));
}
