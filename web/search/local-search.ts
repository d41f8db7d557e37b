import { searchNormalize } from "../../shared/protocol/index.js";
import type { CourierDb } from "../db/database.js";
import type { StoredMessage } from "../db/records.js";
import { atOfKey, TERM_END } from "./local-index.js";
import { newestFirst } from "./merge.js";
import { queryTerms, type QueryTerm } from "./terms.js";

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

/** Rows read at a time, newest candidates first, until a page is full. */
const ROWS_PER_READ = 100;

/**
 * The messages on this device whose normalised body contains the normalised
 * query: the server's semantics, so local and server results agree.
 *
 *   query terms ─▶ index keys of each (no rows: id and time) ─▶ intersection
 *     ─▶ candidates newest first ─▶ rows 100 at a time, substring test,
 *        until `limit` + 1 match (one more says there are more)
 *
 * A query with nothing indexable (punctuation only) finds nothing here; the
 * server still answers it.
 */
export async function searchLocal(db: CourierDb, query: string, { conversationId, limit }: LocalSearch): Promise<LocalResults> {
  const needle = searchNormalize(query.trim());
  const lookups = queryTerms(needle);
  if (needle === "" || lookups.length === 0) return { messages: [], more: false };
  const matches = await db.transaction("r", db.messages, async () => {
    let candidates: Map<string, number> | null = null;
    for (const lookup of lookups) {
      const found = await keysOf(db, lookup);
      candidates = candidates ? intersect(candidates, found) : found;
      if (candidates.size === 0) return [];
    }
    const newest = [...(candidates ?? [])].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1)).map(([id]) => id);
    const kept: StoredMessage[] = [];
    for (let i = 0; i < newest.length && kept.length <= limit; i += ROWS_PER_READ) {
      for (const m of await db.messages.bulkGet(newest.slice(i, i + ROWS_PER_READ))) {
        if (m && (conversationId === undefined || m.conversationId === conversationId) && searchNormalize(m.body).includes(needle)) kept.push(m);
      }
    }
    return kept;
  });
  matches.sort(newestFirst);
  return { messages: matches.slice(0, limit), more: matches.length > limit };
}

/** The messages holding a term (by prefix: every term starting with it), with their times, from the index alone. */
async function keysOf(db: CourierDb, { term, prefix }: QueryTerm): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  await db.messages
    .where("terms")
    .startsWith(prefix ? term : term + TERM_END)
    .eachKey((key, cursor) => void found.set(cursor.primaryKey as string, atOfKey(key as string)));
  return found;
}

function intersect(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  const both = new Map<string, number>();
  for (const [id, at] of small) if (large.has(id)) both.set(id, at);
  return both;
}
