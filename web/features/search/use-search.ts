import { useLiveQuery } from "dexie-react-hooks";
import { useEffect, useMemo, useState } from "react";
import type { StoredMessage } from "../../db/records.js";
import { useDebounced } from "../../lib/hooks.js";
import { useSession } from "../../session.js";
import { useConnection } from "../../stores/connection.js";
import { searchLocal, type LocalResults } from "../../search/local-search.js";
import { mergeResults, type SearchHit } from "../../search/merge.js";
import { IDLE, ServerSearch, type ServerSearchState } from "../../search/server-search.js";

/** Typing settles for this long before a search runs. */
export const SEARCH_DEBOUNCE_MS = 200;
/** Results from this device shown per page ("Load more" shows the next). */
export const LOCAL_PAGE = 30;

export interface SearchView {
  /** The query searched for (trimmed, once typing settled); "" before anything was typed. */
  query: string;
  /** Merged results, newest first; undefined until this device's first answer for `query`. */
  hits: SearchHit[] | undefined;
  server: ServerSearchState;
  /** No connection: only this device's results, and the screen says so. */
  offline: boolean;
  canLoadMore: boolean;
  loadMore(): void;
  retry(): void;
}

const NOTHING: LocalResults = { messages: [], more: false };

/**
 * One search, as the person types: this device's index answers at once (and
 * live: a recall or a delete-for-me takes a result away while it is shown),
 * then the server's pages for history not on this device are merged in by
 * message id. A new query aborts the server request of the previous one.
 */
export function useSearch(input: string, conversationId?: string): SearchView {
  const { db, api } = useSession();
  const query = useDebounced(input.trim(), SEARCH_DEBOUNCE_MS);
  // The browser's own report counts alone: with no network the server can't answer, whatever an open socket last said.
  const offline = useConnection((s) => s.browserOffline || s.status === "offline");

  // Pages of local results, counted per query: a new query starts at one.
  const key = `${conversationId ?? ""}\n${query}`;
  const [pages, setPages] = useState({ key, count: 1 });
  const limit = (pages.key === key ? pages.count : 1) * LOCAL_PAGE;
  const local = useLiveQuery(
    async () => ({ key, results: query ? await searchLocal(db, query, { conversationId, limit }) : NOTHING }),
    [db, key, query, conversationId, limit],
  );

  const [server, setServer] = useState<ServerSearchState>(IDLE);
  const search = useMemo(() => new ServerSearch((page, signal) => api.searchMessages(page, signal), setServer), [api]);
  useEffect(() => {
    if (query && !offline) search.start(query, conversationId);
    return () => search.stop();
  }, [search, query, conversationId, offline]);

  // What this device holds of the server's results, read live: recalled or deleted-for-me ones leave the list.
  const held = useLiveQuery(async () => {
    const rows = await db.messages.bulkGet(server.messages.map((m) => m.id));
    return new Map(rows.filter((m): m is StoredMessage => m !== undefined).map((m) => [m.id, m]));
  }, [db, server.messages]);

  const current = local?.key === key ? local.results : undefined;
  const hits = useMemo(() => (current ? mergeResults(current.messages, server.messages, held ?? new Map()) : undefined), [current, server.messages, held]);
  const serverMore = !offline && server.status === "done" && !!server.before;
  return {
    query,
    hits,
    server,
    offline,
    canLoadMore: !!current?.more || serverMore,
    loadMore: () => {
      if (current?.more) setPages({ key, count: (pages.key === key ? pages.count : 1) + 1 });
      if (serverMore) search.more();
    },
    retry: () => search.retry(),
  };
}
