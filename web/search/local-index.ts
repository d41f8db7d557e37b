import type { DBCore, Middleware, Table } from "dexie";

/**
 * The local search index (docs/messages.md, "Search"): `terms` on every
 * message row, a multi-entry index, computed by this DBCore middleware on
 * every write to `messages`, so the index changes in the same transaction as
 * the message (a recall or a delete-for-me removes its terms at once).
 * TODO(search): terms; this placeholder indexes nothing.
 */
export const searchIndexMiddleware: Middleware<DBCore> = {
  stack: "dbcore",
  name: "courier-search-index",
  create: (down) => down,
};

/** Schema 3: computes `terms` for the messages stored before the index existed. */
export async function upgradeSearchIndex(_messages: Table): Promise<void> {}
