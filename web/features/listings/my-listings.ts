import type { Item } from "../../../shared/protocol/index.js";
import type { Api } from "../../api/client.js";
import { CourierError } from "../../../shared/protocol/index.js";
import type { CourierDb } from "../../db/database.js";
import { myItems } from "../offers/api.js";

/** The listings page's two shelves: the catalogue, or every listing of mine. */
export type Shelf = "all" | "mine";

/**
 * "Mine": the server's list of my listings (`GET /api/items?sellerId=`),
 * together with the listings of mine that conversations held here are about
 * (a sold or withdrawn one that left the catalogue is still in its chats).
 * A server that does not filter by seller answers the catalogue, which is
 * filtered here; one that refuses the parameter is asked for the catalogue.
 */
export async function loadListings(api: Api, db: CourierDb, me: string, shelf: Shelf): Promise<Item[]> {
  if (shelf === "all") return api.listItems();
  const [fromServer, summaries] = await Promise.all([
    myItems(api, me).catch((error: unknown) => {
      if (error instanceof CourierError && error.code === "bad_request") return api.listItems();
      throw error;
    }),
    db.conversations.toArray(),
  ]);
  return mergeMine(
    me,
    fromServer,
    summaries.flatMap((s) => (s.item ? [s.item] : [])),
  );
}

/** My listings from both sources, one each: the server's copy wins (it is the newest). */
export function mergeMine(me: string, fromServer: readonly Item[], fromChats: readonly Item[]): Item[] {
  const byId = new Map<string, Item>();
  for (const item of fromChats) if (item.sellerId === me) byId.set(item.id, item);
  for (const item of fromServer) if (item.sellerId === me) byId.set(item.id, item);
  return [...byId.values()];
}
