import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Offer } from "../../../shared/protocol/index.js";
import { Api } from "../../api/client.js";
import { Http, type Fetch } from "../../api/http.js";
import { CourierDb } from "../../db/database.js";
import { storeOffers } from "../../db/offers.js";
import { fetchOffersOnce } from "./use-offers.js";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const offer = (over: Partial<Offer> = {}): Offer => ({
  id: "o1",
  itemId: "i1",
  conversationId: "c1",
  buyerId: "u-b",
  sellerId: "u-s",
  by: "u-b",
  priceCents: 4000,
  status: "countered",
  at: 1,
  ...over,
});

let db: CourierDb;
beforeEach(async () => {
  db = new CourierDb(`offers-${crypto.randomUUID()}`);
  await db.open();
});
afterEach(async () => {
  await db.delete();
});

/** A device that joined after an offer's entries (by snapshot) holds no row for it: its cards ask the server. */
describe("fetchOffersOnce", () => {
  it("asks once per conversation however many cards want it, and stores what it answers", async () => {
    const fetchFn = vi.fn<Fetch>(async () => json(200, { offers: [offer(), offer({ id: "o2", by: "u-s", status: "open", counterOf: "o1" })] }));
    const api = new Api(new Http("", fetchFn));
    await Promise.all([fetchOffersOnce(db, api, "c1"), fetchOffersOnce(db, api, "c1"), fetchOffersOnce(db, api, "c1")]);
    expect(fetchFn).toHaveBeenCalledOnce();
    expect(fetchFn.mock.calls[0]![0]).toBe("/api/offers?conversationId=c1");
    expect((await db.offers.get("o1"))?.status).toBe("countered");
    expect((await db.offers.get("o2"))?.status).toBe("open");
  });

  it("never reopens an offer this device already holds closed", async () => {
    await storeOffers(db, [offer({ id: "o2", status: "withdrawn" })]);
    const api = new Api(new Http("", async () => json(200, { offers: [offer({ id: "o2", status: "open" })] })));
    await fetchOffersOnce(db, api, "c2");
    expect((await db.offers.get("o2"))?.status).toBe("withdrawn");
  });

  it("asks again after a failure (the link may be back)", async () => {
    let calls = 0;
    const api = new Api(
      new Http("", async () => (++calls === 1 ? json(503, { error: { code: "unavailable", message: "Try again" } }) : json(200, { offers: [offer({ conversationId: "c3" })] }))),
    );
    await expect(fetchOffersOnce(db, api, "c3")).rejects.toThrow("Try again");
    await fetchOffersOnce(db, api, "c3");
    expect(calls).toBe(2);
    expect(await db.offers.count()).toBe(1);
  });
});
