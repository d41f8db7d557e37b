import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConsumerRegistry } from "../../shared/sync/consumers.js";
import { type Entry, type Item, itemState, itemWire, type Offer, type Order } from "../../shared/protocol/index.js";
import { registerConsumers } from "./consumers.js";
import { CourierDb } from "./database.js";
import { storeItem, storeOffers } from "./offers.js";
import { DexieSyncStore } from "./store.js";
import { convEntry, entry, ME, PEER, resetVersions, summary } from "./test-fixtures.js";

let db: CourierDb;
let store: DexieSyncStore;

beforeEach(async () => {
  resetVersions();
  db = new CourierDb(`test-${crypto.randomUUID()}`);
  await db.open();
  const registry = new ConsumerRegistry();
  registerConsumers(registry, db, ME);
  store = new DexieSyncStore(db, registry, ME);
});

afterEach(async () => {
  await db.delete();
});

async function apply(...entries: Entry[]): Promise<void> {
  await store.apply(entries[0]!.d, entries, entries.at(-1)!.v);
}

const system = (k: string, data: unknown): Entry => ({ ...entry(k, data), d: "system" });
const offerEntry = (offer: Offer) => system("offer", { offer });
const offer = (over: Partial<Offer> = {}): Offer => ({
  id: "o1",
  itemId: "i1",
  conversationId: "c1",
  buyerId: ME,
  sellerId: PEER,
  by: ME,
  priceCents: 4000,
  status: "open",
  at: 1,
  ...over,
});
const bike: Item = { id: "i1", sellerId: PEER, title: "Bike", priceCents: 5000, description: "", status: "listed", at: 1 };
const itemChat = (id: string) => summary(id, { conversation: { id, type: "item", memberIds: [ME, PEER], lastSeq: 0, at: 1, itemId: "i1" }, item: bike });

describe("offer entries on this device", () => {
  it("keep each offer's current state: a counter closes the first and opens the seller's, accepting closes that", async () => {
    await apply(offerEntry(offer()));
    expect((await db.offers.get("o1"))?.status).toBe("open");
    await apply(offerEntry(offer({ status: "countered" })), offerEntry(offer({ id: "o2", by: PEER, priceCents: 4500, counterOf: "o1" })));
    await apply(offerEntry(offer({ id: "o2", by: PEER, priceCents: 4500, counterOf: "o1", status: "accepted", orderId: "r1" })));

    expect(await db.offers.where("conversationId").equals("c1").sortBy("id")).toEqual([
      offer({ status: "countered" }),
      offer({ id: "o2", by: PEER, priceCents: 4500, counterOf: "o1", status: "accepted", orderId: "r1" }),
    ]);
    expect((await store.loadVersions()).system).toBe(4);
  });

  it("an open copy arriving after the offer closed (this device's own answer, then an older entry) does not reopen it", async () => {
    await storeOffers(db, [offer({ status: "withdrawn", at: 2 })]);
    await apply(offerEntry(offer()));
    expect((await db.offers.get("o1"))?.status).toBe("withdrawn");
  });

  it("skips a malformed offer entry and still advances the version", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await apply(system("offer", { offer: { id: "o9" } }), offerEntry(offer()));
    expect(await db.offers.count()).toBe(1);
    expect((await store.loadVersions()).system).toBe(2);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});

describe("orders and listings on the conversations held here", () => {
  const order = (over: Partial<Order> = {}): Order => ({ id: "r1", itemId: "i1", conversationId: "c1", buyerId: ME, sellerId: PEER, status: "bought", at: 2, priceCents: 4500, ...over });

  it("a cancelled order puts the listing back on sale in its conversation", async () => {
    await apply(convEntry(itemChat("c1")));
    await apply(system("order", { order: order() }));
    expect((await db.conversations.get("c1"))?.item?.status).toBe("sold");
    await apply(system("order", { order: order({ status: "cancelled", cancelledBy: PEER, reason: "Broken" }) }));
    const held = await db.conversations.get("c1");
    expect(held?.item?.status).toBe("listed");
    expect(held?.order).toMatchObject({ status: "cancelled", reason: "Broken" });
  });

  it("a listing I changed shows in every conversation about it, and only those", async () => {
    await apply(convEntry(itemChat("c1")), convEntry(itemChat("c2")), convEntry(summary("c3")));
    await storeItem(db, { ...bike, title: "Red bike", ...itemWire("reserved") });
    for (const id of ["c1", "c2"]) expect((await db.conversations.get(id))?.item).toMatchObject({ title: "Red bike", status: "listed", availability: "reserved" });
    expect((await db.conversations.get("c3"))?.item).toBeUndefined();
  });

  it("availability goes with status: put back on sale clears it, and so does an order step", async () => {
    await apply(convEntry(itemChat("c1")));
    await storeItem(db, { ...bike, ...itemWire("withdrawn") });
    expect((await db.conversations.get("c1"))?.item).toMatchObject({ status: "sold", availability: "withdrawn" });
    await storeItem(db, { ...bike, ...itemWire("listed") });
    let held = (await db.conversations.get("c1"))?.item;
    expect([held?.status, held && "availability" in held]).toEqual(["listed", false]);
    await storeItem(db, { ...bike, ...itemWire("reserved") });
    await apply(system("order", { order: order() }));
    held = (await db.conversations.get("c1"))?.item;
    expect([held && itemState(held), held && "availability" in held]).toEqual(["sold", false]);
    await apply(system("order", { order: order({ status: "cancelled", cancelledBy: PEER, reason: "Broken" }) }));
    held = (await db.conversations.get("c1"))?.item;
    expect([held && itemState(held), held && "availability" in held]).toEqual(["listed", false]);
  });
});
