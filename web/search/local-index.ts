import { Dexie, type DBCore, type DBCoreMutateRequest, type DBCoreTable, type Middleware } from "dexie";
import { searchTextOf } from "../../shared/protocol/index.js";
import type { StoredMessage } from "../db/records.js";
import { terms } from "./terms.js";

/** The indexed field of a message row (`*terms`, schema 3: index keys, see `indexKey`): never sent anywhere, never shown. */
export interface IndexedMessage extends StoredMessage {
  terms: string[];
}

const MESSAGES = "messages";

/**
 * An index key is a term, a separator and the message's time (`at`, base 36,
 * fixed width): "还在\u00000lp2k3x4g". A term's keys are then in time order,
 * so a search walks them newest first and reads rows only until it has a
 * page (local-search.ts).
 */
export const TERM_END = "\u0000";
const AT_WIDTH = 9; // 36^9 ms is past the year 5000

export function indexKey(term: string, at: number): string {
  return `${term}${TERM_END}${Math.max(0, Math.floor(at)).toString(36).padStart(AT_WIDTH, "0")}`;
}

/**
 * What a message row is found by. Nothing for what must not be found: a
 * recalled or hidden message (its text is gone), a system line (written by
 * the server, not said by anyone), a kind this app does not know.
 */
export function messageTerms(message: StoredMessage): string[] {
  return searchable(message) ? terms(message.body).map((term) => indexKey(term, message.at)) : [];
}

/** Whether a message is found by search at all (see messageTerms): it has search text (shared `searchTextOf`: a text message) and is neither recalled nor hidden here. */
export function searchable(message: StoredMessage): boolean {
  return !message.recalled && !message.hidden && searchTextOf(message) !== "";
}

function withTerms(value: StoredMessage): IndexedMessage {
  return { ...value, terms: messageTerms(value) };
}

/** Transactions inside `withoutSearchTerms`: their searchable rows are written unindexed. */
const deferring = new WeakSet<object>();

/**
 * A searchable row written with no `terms` field at all (what the backfill
 * looks for); a row found by nothing (recalled, hidden, system) still gets
 * `terms: []`, so a recall in a deferred write takes its old terms at once.
 */
function withTermsLater(value: StoredMessage): StoredMessage | IndexedMessage {
  if (!searchable(value)) return withTerms(value);
  const { terms: _stale, ...row } = value as Partial<IndexedMessage> & StoredMessage;
  return row;
}

/**
 * Runs `write` (puts to `messages` inside the caller's Dexie transaction)
 * with its searchable rows stored without terms, for a large pulled page
 * (backfill.ts `putMessages`): the backfill indexes them after the page.
 */
export async function withoutSearchTerms<T>(write: () => Promise<T>): Promise<T> {
  const trans = Dexie.currentTransaction?.idbtrans;
  if (!trans) return write();
  deferring.add(trans);
  try {
    return await write();
  } finally {
    deferring.delete(trans);
  }
}

/**
 * The local search index (docs/messages.md, "Search"): `terms` on every
 * message row, a multi-entry index, set by this DBCore middleware on every
 * add and put to `messages`. Every table method that writes ends in one of
 * those two (`put`, `bulkPut`, `add`, `update`, `modify`, `upsert`,
 * `bulkUpdate` all put whole rows at the DBCore level), inside the caller's
 * transaction: so the index changes in the same transaction as the message,
 * and a recall or a delete-for-me takes its terms with it at once. Deletes
 * need nothing: the row's index entries go with the row. One exception:
 * the rows of a large pulled page (`withoutSearchTerms`), indexed after the
 * page by backfill.ts so the catch-up does not wait on the index.
 */
export const searchIndexMiddleware: Middleware<DBCore> = {
  stack: "dbcore",
  name: "courier-search-index",
  create: (down) => ({
    ...down,
    table: (name) => {
      const table = down.table(name);
      return name === MESSAGES ? indexing(table) : table;
    },
  }),
};

function indexing(table: DBCoreTable): DBCoreTable {
  return {
    ...table,
    mutate: (req: DBCoreMutateRequest) =>
      req.type === "add" || req.type === "put"
        ? table.mutate({ ...req, values: req.values.map(deferring.has(req.trans) ? withTermsLater : withTerms) })
        : table.mutate(req),
  };
}
