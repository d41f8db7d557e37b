import { searchNormalize } from "../../shared/protocol/index.js";
import type { CourierDb } from "../db/database.js";
import type { StoredMessage } from "../db/records.js";
import { newestFirst } from "./merge.js";
import { queryTerms } from "./terms.js";

export interface LocalSearch {
  /** Only this conversation (search inside a conversation). */
  conversationId?: string;
  /** At most this many, newest first. */
  limit: number;
}

export interface LocalResults {
  messages: StoredMessage[];
  /** More matches are held here than `limit` let through. */
  more: boolean;
}

/**
 * The messages on this device whose normalised body contains the normalised
 * query: the server's semantics, so local and server results agree. The
 * index narrows the candidates (every query term must be among a message's
 * terms); the substring test decides. A query with nothing indexable
 * (punctuation only) finds nothing here; the server still answers it.
 */
export async function searchLocal(db: CourierDb, query: string, { conversationId, limit }: LocalSearch): Promise<LocalResults> {
  const needle = searchNormalize(query.trim());
  const lookups = queryTerms(needle);
  if (needle === "" || lookups.length === 0) return { messages: [], more: false };
  const found = await db.transaction("r", db.messages, async () => {
    let candidates: Set<string> | null = null;
    for (const { term, prefix } of lookups) {
      const index = db.messages.where("terms");
      const keys = await (prefix ? index.startsWith(term) : index.equals(term)).primaryKeys();
      const kept: Set<string> = new Set(candidates ? keys.filter((key) => candidates!.has(key)) : keys);
      if (kept.size === 0) return [];
      candidates = kept;
    }
    return db.messages.bulkGet([...(candidates ?? [])]);
  });
  const matches = found.filter(
    (m): m is StoredMessage =>
      m !== undefined && (conversationId === undefined || m.conversationId === conversationId) && searchNormalize(m.body).includes(needle),
  );
  matches.sort(newestFirst);
  return { messages: matches.slice(0, limit), more: matches.length > limit };
}
