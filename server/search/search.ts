import { CourierError, isGoneMembership, type Message, type SearchQuery, searchNormalize, type SearchResponse } from "../../shared/protocol/index.js";
import type { Repos, SearchCursor } from "../storage/tx.js";
import { decodeCursor, encodeCursor } from "./cursor.js";

export const SEARCH_LIMIT_DEFAULT = 20;

/**
 * Messages a scan reads per request: a search the index cannot serve (1–2
 * characters; on PostgreSQL also one without three letters or digits in a
 * row) reads up to about `scan` of them newest first and says where it
 * stopped; one it can serve first reads up to about `probe` (a common word
 * fills its page there, without the index enumerating every match of it)
 * and asks the index only for what is older. Each conversation reads a share
 * of the budget by its size (at least `windowMin`), so a busy group and a
 * quiet chat are read down to about the same time; reading goes in rounds,
 * a quarter of the budget first and twice as much each time, until the page
 * is full.
 */
export interface SearchBudgets {
  scan: number;
  probe: number;
  windowMin: number;
}
export const SEARCH_BUDGETS: SearchBudgets = { scan: 20_000, probe: 4_000, windowMin: 10 };

interface Scope {
  id: string;
  lastSeq: number;
}

/**
 * The conversations searched: one the user may read (a member, or deciding
 * on a request, as for its history; anything else is a 404, which says
 * nothing about whether it exists), or every conversation where they are an
 * active member: a request is not searched until accepted, as anyone can
 * put a stranger's group among someone's requests. Those with no message
 * yet are left out.
 */
async function scopeOf(r: Repos, userId: string, conversationId: string | undefined): Promise<Scope[]> {
  if (conversationId === undefined) return (await r.search.activeConversations(userId)).filter((c) => c.lastSeq > 0);
  const me = await r.conversations.member(conversationId, userId);
  const conv = me && !isGoneMembership(me.state) ? await r.conversations.get(conversationId) : null;
  if (!conv) throw CourierError.notFound("No such conversation.", "conversation_not_found");
  return conv.lastSeq > 0 ? [{ id: conv.id, lastSeq: conv.lastSeq }] : [];
}

/** Reads the newest messages of `scope` below `before` in rounds until `want` matches or about `budget` rows read. */
async function scanRounds(r: Repos, userId: string, needle: string, scope: Scope[], before: SearchCursor | null, want: number, budget: number, min: number) {
  const ids = scope.map((c) => c.id);
  const total = scope.reduce((n, c) => n + c.lastSeq, 0);
  let windows = scope.map((c) => Math.max(min, Math.ceil(((budget / 4) * c.lastSeq) / total)));
  const messages: Message[] = [];
  let cursor = before;
  let read = 0;
  for (;;) {
    const scan = await r.search.scan(userId, needle, ids, cursor, want - messages.length, windows);
    messages.push(...scan.messages);
    read += windows.reduce((n, w) => n + w, 0);
    if (messages.length >= want || !scan.horizon || read >= budget) return { messages, horizon: scan.horizon };
    cursor = scan.horizon;
    windows = windows.map((w) => w * 2);
  }
}

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
  const scope = await scopeOf(r, userId, q.conversationId);
  if (scope.length === 0) return { results: [] };
  // The trigram indexes serve 3+ characters (pg_trgm: three letters or digits in a row); anything else is a bounded scan.
  const indexed = await r.search.indexable(needle);
  // One more than a page: whether more follow.
  const scan = await scanRounds(r, userId, needle, scope, before, limit + 1, indexed ? budgets.probe : budgets.scan, budgets.windowMin);
  if (!indexed || scan.messages.length > limit || !scan.horizon) return page(scan.messages, limit, scan.horizon);
  const older = await r.search.find(userId, needle, scope.map((c) => c.id), scan.horizon, limit + 1 - scan.messages.length);
  return page([...scan.messages, ...older], limit, null);
}
