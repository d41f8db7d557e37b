import { CourierError, isGoneMembership, type Message, type SearchQuery, searchNormalize, type SearchResponse } from "../../shared/protocol/index.js";
import type { Repos, SearchCursor } from "../storage/tx.js";
import { decodeCursor, encodeCursor } from "./cursor.js";

export const SEARCH_LIMIT_DEFAULT = 20;

/** The trigram indexes (FTS5 trigram, pg_trgm) serve needles of this many code points or more. */
export const INDEXED_MIN = 3;

/**
 * Messages a scan reads per request, spread over the conversations searched
 * (at least `windowMin` each): a 1–2 character search reads `scan` of them
 * newest first and says where it stopped; a longer one first reads `probe`
 * (a common word fills its page there, without the index enumerating every
 * match) and asks the index only for what is older.
 */
export interface SearchBudgets {
  scan: number;
  probe: number;
  windowMin: number;
}
export const SEARCH_BUDGETS: SearchBudgets = { scan: 20_000, probe: 2_000, windowMin: 50 };

/**
 * The conversations searched: one the user may read (a member, or deciding
 * on a request, as for its history; anything else is a 404, which says
 * nothing about whether it exists), or every conversation where they are an
 * active member: a request is not searched until accepted, as anyone can
 * put a stranger's group among someone's requests.
 */
async function scope(r: Repos, userId: string, conversationId: string | undefined): Promise<string[]> {
  if (conversationId === undefined) return r.search.activeConversationIds(userId);
  const me = await r.conversations.member(conversationId, userId);
  if (!me || isGoneMembership(me.state)) throw CourierError.notFound("No such conversation.");
  return [conversationId];
}

const windowFor = (budget: number, conversations: number, limit: number, min: number) => Math.max(min, limit + 1, Math.ceil(budget / conversations));

/** A page of `limit`, and where the next one starts: after its last result, at `horizon` (a scan stopped there), or nowhere. */
function page(found: Message[], limit: number, horizon: SearchCursor | null): SearchResponse {
  const results = found.slice(0, limit).map((message) => ({ message }));
  const last = results.at(-1)?.message;
  const next = found.length > limit && last ? { at: last.at, conversationId: last.conversationId, seq: last.seq } : horizon;
  return next ? { results, before: encodeCursor(next) } : { results };
}

/** GET /api/search (docs/protocol.md "Search (issue 13)"): substring after `searchNormalize`, newest first. */
export async function search(r: Repos, userId: string, q: SearchQuery, budgets = SEARCH_BUDGETS): Promise<SearchResponse> {
  const before = q.before === undefined ? null : decodeCursor(q.before);
  const limit = q.limit ?? SEARCH_LIMIT_DEFAULT;
  const needle = searchNormalize(q.q);
  const ids = await scope(r, userId, q.conversationId);
  if (ids.length === 0) return { results: [] };
  const indexed = [...needle].length >= INDEXED_MIN;
  // One more than a page: whether more follow.
  const window = windowFor(indexed ? budgets.probe : budgets.scan, ids.length, limit, budgets.windowMin);
  const scan = await r.search.scan(userId, needle, ids, before, limit + 1, window);
  if (!indexed || scan.messages.length > limit || !scan.horizon) return page(scan.messages, limit, scan.horizon);
  const older = await r.search.find(userId, needle, ids, scan.horizon, limit + 1 - scan.messages.length);
  return page([...scan.messages, ...older], limit, null);
}
