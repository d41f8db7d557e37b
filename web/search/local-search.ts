import { Dexie } from "dexie";
import { searchNormalize, searchOrder } from "../../shared/protocol/index.js";
import type { CourierDb } from "../db/database.js";
import type { StoredMessage } from "../db/records.js";
import { indexKey, searchable, TERM_END } from "./local-index.js";
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

/** Rows read at a time while walking a term's messages newest first. */
const ROWS_PER_READ = 100;

/**
 * The messages on this device whose normalised body contains the normalised
 * query: the server's semantics, so local and server results agree. The
 * index only narrows; the substring test on each row decides.
 *
 * - A query with CJK text has exact terms (bigrams, or one character), whose
 *   index keys end in the message's time: the rarest one is walked newest
 *   first, 100 rows at a time, until `limit` + 1 rows match (one more says
 *   there are more). A common character costs a page, not every message.
 * - Otherwise (one CJK character, words and emoji, looked up by prefix,
 *   whose keys are ordered by term first, not time): each term's keys are
 *   counted. A single term holding many messages: the messages are read
 *   newest first by time (the `at` index, or the conversation by seq) until
 *   a page matches (about limit × messages ÷ count rows; at most `count`
 *   rows, then as below). Otherwise the ids of every term (one bulk read
 *   each, no rows), their intersection, then those rows.
 *
 * A query with nothing indexable (punctuation only) finds nothing here; the
 * server still answers it.
 */
export async function searchLocal(db: CourierDb, query: string, { conversationId, limit }: LocalSearch): Promise<LocalResults> {
  const needle = searchNormalize(query.trim());
  const lookups = queryTerms(needle);
  if (needle === "" || lookups.length === 0) return { messages: [], more: false };
  // What the index would hold (a row the backfill has not reached yet is read by the time walk too).
  const matches = (m: StoredMessage | undefined): m is StoredMessage =>
    !!m && searchable(m) && (conversationId === undefined || m.conversationId === conversationId) && searchNormalize(m.body).includes(needle);
  const exact = lookups.filter((l) => !l.prefix).map((l) => l.term);
  const found = await db.transaction("r", db.messages, async () =>
    exact.length > 0
      ? walkNewestFirst(db, await rarest(db, exact), matches, limit + 1)
      : byPrefixes(db, lookups, matches, limit + 1, conversationId),
  );
  found.sort(searchOrder);
  return { messages: found.slice(0, limit), more: found.length > limit };
}

/** A term's index keys, up to and including `below` (all of them without it). */
const termRange = (db: CourierDb, term: string, below = `${term}${TERM_END}\uffff`) => db.messages.where("terms").between(term + TERM_END, below, false, true);

/** The exact term with the fewest messages (counted in the index). */
async function rarest(db: CourierDb, terms: string[]): Promise<string> {
  const counts = await Promise.all(terms.map((term) => termRange(db, term).count()));
  return terms[counts.indexOf(Math.min(...counts))]!;
}

/** A term's messages newest first, a chunk at a time, until `want` of them match. */
async function walkNewestFirst(db: CourierDb, term: string, matches: (m: StoredMessage | undefined) => m is StoredMessage, want: number): Promise<StoredMessage[]> {
  const kept: StoredMessage[] = [];
  const seen = new Set<string>();
  let below: string | undefined;
  for (;;) {
    // Inclusive of the last time read: messages sharing it are read again (and skipped), never missed.
    const ids = (await termRange(db, term, below).reverse().limit(ROWS_PER_READ + seen.size).primaryKeys()).filter((id) => !seen.has(id));
    if (ids.length === 0) return kept;
    const rows = await db.messages.bulkGet(ids);
    for (const [i, row] of rows.entries()) {
      seen.add(ids[i]!);
      if (matches(row)) kept.push(row);
    }
    if (kept.length >= want) return kept;
    const oldest = rows.reduce((at, row) => Math.min(at, row?.at ?? at), Number.MAX_SAFE_INTEGER);
    if (oldest === Number.MAX_SAFE_INTEGER) return kept;
    below = indexKey(term, oldest);
    // Only ids at that exact time are held over; the rest of `seen` is behind the new bound.
    for (const [i, row] of rows.entries()) if (row && row.at !== oldest) seen.delete(ids[i]!);
  }
}

/** Rows read at a time while walking messages by time. */
const ROWS_PER_WALK = 200;

/** Messages holding all the terms (all looked up by prefix): a time walk when they are common, else their rows. */
async function byPrefixes(
  db: CourierDb,
  lookups: QueryTerm[],
  matches: (m: StoredMessage | undefined) => m is StoredMessage,
  want: number,
  conversationId: string | undefined,
): Promise<StoredMessage[]> {
  const counts = await Promise.all(lookups.map(({ term }) => db.messages.where("terms").startsWith(term).count()));
  const fewest = Math.min(...counts);
  if (fewest === 0) return [];
  const scope = conversationId === undefined ? db.messages.toCollection() : inConversation(db, conversationId);
  // One term: a message holding it mostly matches, so walking reads about want × total ÷ fewest rows;
  // the candidates are `fewest` rows. Several terms: the phrase may be far rarer than each, so intersect.
  if (lookups.length === 1 && fewest * fewest > want * (await scope.count())) {
    const walked = await walkByTime(db, conversationId, matches, want, fewest);
    if (walked) return walked;
  }
  return intersectAll(db, lookups, matches);
}

/** The scope's messages newest first until `want` match; null after `budget` rows without them (the caller reads the candidates). */
async function walkByTime(
  db: CourierDb,
  conversationId: string | undefined,
  matches: (m: StoredMessage | undefined) => m is StoredMessage,
  want: number,
  budget: number,
): Promise<StoredMessage[] | null> {
  const kept: StoredMessage[] = [];
  for (let read = 0; kept.length < want; read += ROWS_PER_WALK) {
    if (read >= budget) return null;
    const rows =
      conversationId === undefined
        ? await db.messages.orderBy("at").reverse().offset(read).limit(ROWS_PER_WALK).toArray()
        : await inConversation(db, conversationId).reverse().offset(read).limit(ROWS_PER_WALK).toArray();
    kept.push(...rows.filter(matches));
    if (rows.length < ROWS_PER_WALK) break;
  }
  return kept;
}

const inConversation = (db: CourierDb, conversationId: string) =>
  db.messages.where("[conversationId+seq]").between([conversationId, Dexie.minKey], [conversationId, Dexie.maxKey], true, true);

/** Every message holding all the terms (all looked up by prefix), read whole. */
async function intersectAll(db: CourierDb, lookups: QueryTerm[], matches: (m: StoredMessage | undefined) => m is StoredMessage): Promise<StoredMessage[]> {
  let candidates: Set<string> | null = null;
  for (const { term } of lookups) {
    const ids = await db.messages.where("terms").startsWith(term).primaryKeys();
    const kept: Set<string> = new Set(candidates ? ids.filter((id) => candidates!.has(id)) : ids);
    if (kept.size === 0) return [];
    candidates = kept;
  }
  return (await db.messages.bulkGet([...(candidates ?? [])])).filter(matches);
}
