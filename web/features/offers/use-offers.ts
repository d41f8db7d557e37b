import { useLiveQuery } from "dexie-react-hooks";
import { useEffect, useState } from "react";
import type { Offer } from "../../../shared/protocol/index.js";
import type { Api } from "../../api/client.js";
import type { CourierDb } from "../../db/database.js";
import { storeOffers } from "../../db/offers.js";
import { useSession } from "../../session.js";
import { offersOfConversation } from "./api.js";

/**
 * Conversations whose offers were asked of the server by this database (one
 * request each, however many cards want them): a device that joined after
 * the offers' entries (a snapshot, a new device) holds no row for them.
 */
const asked = new WeakMap<CourierDb, Map<string, Promise<void>>>();

export function fetchOffersOnce(db: CourierDb, api: Api, conversationId: string): Promise<void> {
  let byConversation = asked.get(db);
  if (!byConversation) asked.set(db, (byConversation = new Map()));
  let pending = byConversation.get(conversationId);
  if (!pending) {
    pending = offersOfConversation(api, conversationId).then(
      (offers) => storeOffers(db, offers),
      (error: unknown) => {
        // Asked again the next time a card mounts (the link may be back by then).
        byConversation.delete(conversationId);
        throw error;
      },
    );
    byConversation.set(conversationId, pending);
  }
  return pending;
}

/** The offers of one item conversation held here, live; undefined while reading. */
export function useConversationOffers(conversationId: string): Offer[] | undefined {
  const { db } = useSession();
  return useLiveQuery(() => db.offers.where("conversationId").equals(conversationId).toArray(), [db, conversationId]);
}

/**
 * One offer, live from the table; `missing` once the server was asked and
 * does not know it either (or could not be asked).
 */
export function useOffer(offerId: string | undefined, conversationId: string): { offer: Offer | undefined; missing: boolean } {
  const { db, api } = useSession();
  const row = useLiveQuery(async () => (offerId ? ((await db.offers.get(offerId)) ?? null) : null), [db, offerId]);
  const absent = row === null && !!offerId;
  const [asked, setAsked] = useState(false);
  useEffect(() => {
    if (!absent) return;
    let live = true;
    const done = () => live && setAsked(true);
    fetchOffersOnce(db, api, conversationId).then(done, done);
    return () => {
      live = false;
    };
  }, [absent, db, api, conversationId]);
  return { offer: row ?? undefined, missing: absent && asked };
}
