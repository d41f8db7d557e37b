import { afterEach, describe, expect, it } from "vitest";
import { BLOCKED_MESSAGE, type Entry, type Item, type Message, type Offer, type Order, type Summary } from "../../shared/protocol/index.js";
import { call, pullAll, register, sendHttp, startServer, type Session, type TestServer } from "../testing/harness.js";
import { listing as listed, market } from "./test-market.js";

let server: TestServer;
afterEach(async () => server?.dispose());

const listing = (s: Session) => listed(server, s);

/** The test's server, Bob selling a "Bike" at 50.00, and the buyers named. */
async function setUp<const N extends readonly string[]>(...buyers: N) {
  const m = await market(buyers);
  server = m.server;
  return m;
}

const orderEntries = async (s: Session) => (await pullAll(server.app, s, "system")).entries.filter((e) => e.k === "order");
const systemMessages = async (s: Session) =>
  (await pullAll(server.app, s, "chat")).entries
    .filter((e: Entry) => e.k === "msg")
    .map((e) => (e.data as { message: Message }).message)
    .filter((m) => m.kind === "system")
    .map((m) => m.body);

describe("order flow", () => {
  it("bought → shipped → received, each step in both parties' system domain and as a system message", async () => {
    server = await startServer();
    const { app } = server;
    const seller = await register(app, "bob");
    const buyer = await register(app, "alice");
    const item = await listing(seller);

    const bought = await call<{ order: Order }>(app, "POST", "/api/orders", { token: buyer.token, body: { itemId: item.id } });
    expect(bought.status).toBe(201);
    expect(bought.body.order).toMatchObject({ itemId: item.id, buyerId: buyer.user.id, sellerId: seller.user.id, status: "bought" });
    expect((await call<{ item: Item }>(app, "GET", `/api/items/${item.id}`, { token: buyer.token })).body.item.status).toBe("sold");
    const id = bought.body.order.id;

    const shipped = await call<{ order: Order }>(app, "PATCH", `/api/orders/${id}`, { token: seller.token, body: { status: "shipped" } });
    expect(shipped.status).toBe(200);
    expect(shipped.body.order.status).toBe("shipped");
    const received = await call<{ order: Order }>(app, "PATCH", `/api/orders/${id}`, { token: buyer.token, body: { status: "received" } });
    expect(received.body.order.status).toBe("received");

    for (const s of [buyer, seller]) {
      const entries = await orderEntries(s);
      expect(entries.map((e) => (e.data as { order: Order }).order.status)).toEqual(["bought", "shipped", "received"]);
      expect(entries.map((e) => e.v)).toEqual([1, 2, 3]);
      expect(await systemMessages(s)).toEqual(["Alice bought “Bike”", "Bob marked the order as shipped", "Alice confirmed receipt"]);
    }
    // The item conversation was created on the way, and its summary carries the order.
    const convs = await call<{ conversations: { order: Order | null; conversation: { type: string } }[] }>(app, "GET", "/api/conversations", { token: seller.token });
    expect(convs.body.conversations).toHaveLength(1);
    expect(convs.body.conversations[0]).toMatchObject({ conversation: { type: "item" }, order: { status: "received" } });
  });

  it("tells everyone else who asked about the listing that it sold: their summary shows it, and Buy is refused", async () => {
    server = await startServer();
    const { app } = server;
    const seller = await register(app, "bob");
    const buyer = await register(app, "alice");
    const other = await register(app, "carol");
    const item = await listing(seller);
    for (const s of [buyer, other]) {
      const opened = await call<{ summary: Summary }>(app, "POST", "/api/conversations", { token: s.token, body: { type: "item", itemId: item.id } });
      expect(opened.status).toBe(201);
      // The seller sees an item chat once something is said in it (docs/protocol.md "The conversation list").
      await sendHttp(app, s, opened.body.summary.conversationId, "Still there?");
    }
    await call(app, "POST", "/api/orders", { token: buyer.token, body: { itemId: item.id } });

    const convs = (await pullAll(app, other, "chat")).entries.filter((e) => e.k === "conv");
    const latest = (convs.at(-1)!.data as { summary: Summary }).summary;
    expect(latest.item?.status).toBe("sold");
    // The seller's view of Carol's conversation is updated too.
    const sellerConvs = (await pullAll(app, seller, "chat")).entries.filter((e) => e.k === "conv");
    const sellerView = sellerConvs.map((e) => (e.data as { summary: Summary }).summary).filter((x) => x.conversation.memberIds.includes(other.user.id));
    expect(sellerView.at(-1)?.item?.status).toBe("sold");
    const late = await call<{ error: { code: string } }>(app, "POST", "/api/orders", { token: other.token, body: { itemId: item.id } });
    expect(late.status).toBe(409);
  });

  it("refuses illegal steps with 403/409 and appends nothing for them", async () => {
    server = await startServer();
    const { app } = server;
    const seller = await register(app, "bob");
    const buyer = await register(app, "alice");
    const eve = await register(app, "eve");
    const item = await listing(seller);

    expect((await call(app, "POST", "/api/orders", { token: seller.token, body: { itemId: item.id } })).status).toBe(400);
    expect((await call(app, "POST", "/api/orders", { token: buyer.token, body: { itemId: "nope" } })).status).toBe(404);
    const { body } = await call<{ order: Order }>(app, "POST", "/api/orders", { token: buyer.token, body: { itemId: item.id } });
    const id = body.order.id;
    const heads = [(await pullAll(app, buyer, "system")).head, (await pullAll(app, seller, "system")).head, (await pullAll(app, buyer, "chat")).head];

    const again = await call(app, "POST", "/api/orders", { token: eve.token, body: { itemId: item.id } });
    expect(again.status).toBe(409);
    const step = (s: Session, status: string) => call(app, "PATCH", `/api/orders/${id}`, { token: s.token, body: { status } });
    expect((await step(buyer, "shipped")).status).toBe(403); // only the seller ships
    expect((await step(seller, "received")).status).toBe(403); // only the buyer confirms
    expect((await step(buyer, "received")).status).toBe(409); // not shipped yet
    expect((await step(eve, "shipped")).status).toBe(403);
    expect((await step(seller, "bought")).status).toBe(400);
    expect((await call(app, "PATCH", "/api/orders/nope", { token: seller.token, body: { status: "shipped" } })).status).toBe(404);
    expect([(await pullAll(app, buyer, "system")).head, (await pullAll(app, seller, "system")).head, (await pullAll(app, buyer, "chat")).head]).toEqual(heads);

    expect((await step(seller, "shipped")).status).toBe(200);
    expect((await step(seller, "shipped")).status).toBe(409); // already shipped
    expect((await call(app, "GET", `/api/orders/${id}`, { token: eve.token })).status).toBe(403);
    expect((await call<{ order: Order }>(app, "GET", `/api/orders/${id}`, { token: buyer.token })).body.order.status).toBe("shipped");
  });
});

describe("cancel and the confirmed price (issue 14)", () => {
  it("cancels before shipping: the seller must say why, the buyer may; the listing is listed again and can sell again", async () => {
    const { app, seller, buyers: [buyer, eve], item } = await setUp("alice", "eve");
    const buy = async (s: Session) => call<{ order: Order }>(app, "POST", "/api/orders", { token: s.token, body: { itemId: item.id, priceCents: 5000 } });
    const cancel = (s: Session, id: string, body: object) =>
      call<{ order: Order; error: { message: string } }>(app, "PATCH", `/api/orders/${id}`, { token: s.token, body: { status: "cancelled", ...body } });

    const first = (await buy(buyer)).body.order;
    expect(first.priceCents).toBe(5000);
    const heads = [(await pullAll(app, buyer, "system")).head, (await pullAll(app, seller, "chat")).head];
    const silent = await cancel(seller, first.id, {});
    expect([silent.status, silent.body.error.message]).toEqual([400, "Say why you cancel: the buyer sees it in the chat."]);
    expect((await cancel(eve, first.id, { reason: "mine" })).status).toBe(403);
    expect([(await pullAll(app, buyer, "system")).head, (await pullAll(app, seller, "chat")).head]).toEqual(heads);

    const cancelled = await cancel(seller, first.id, { reason: "  It broke  " });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.order).toMatchObject({ status: "cancelled", cancelledBy: seller.user.id, reason: "It broke" });
    expect((await call<{ item: Item }>(app, "GET", `/api/items/${item.id}`, { token: buyer.token })).body.item.status).toBe("listed");
    expect((await call<{ items: Item[] }>(app, "GET", "/api/items", { token: eve.token })).body.items.map((i) => i.id)).toEqual([item.id]);
    expect((await cancel(buyer, first.id, {})).status).toBe(409);
    for (const s of [buyer, seller]) {
      expect((await orderEntries(s)).map((e) => (e.data as { order: Order }).order.status)).toEqual(["bought", "cancelled"]);
      expect(await systemMessages(s)).toEqual(["Alice bought “Bike”", "Bob cancelled the order: “It broke”"]);
    }
    // The buyer's summary shows the listing back (its conv entry carries the item).
    const convs = (await pullAll(app, buyer, "chat")).entries.filter((e) => e.k === "conv");
    expect((convs.at(-1)!.data as { summary: Summary }).summary.item?.status).toBe("listed");
    // ... and the chat as it is after the cancel line, not as it was before it (a client replaces its copy with it).
    const last = (convs.at(-1)!.data as { summary: Summary }).summary;
    expect([last.lastMessage?.body, last.conversation.lastSeq]).toEqual(["Bob cancelled the order: “It broke”", 2]);

    // Sold again (one order per item that is not cancelled), and the buyer may cancel without a reason; not once shipped.
    const second = (await buy(eve)).body.order;
    expect(second.status).toBe("bought");
    expect((await cancel(eve, second.id, {})).body.order).toMatchObject({ status: "cancelled", cancelledBy: eve.user.id });
    expect((await cancel(eve, second.id, {})).status).toBe(409);
    const third = (await buy(buyer)).body.order;
    expect((await call(app, "PATCH", `/api/orders/${third.id}`, { token: seller.token, body: { status: "shipped" } })).status).toBe(200);
    const shipped = await cancel(seller, third.id, { reason: "changed my mind" });
    expect([shipped.status, shipped.body.error.message]).toEqual([409, "The order is shipped; only an order not yet shipped can be cancelled."]);
  });

  it("no sale between two people one of whom blocks the other: Buy, and accepting an offer made before the block, are 403", async () => {
    const { app, seller, buyers: [buyer], item } = await setUp("alice");
    const offer = (await call<{ offer: Offer }>(app, "POST", "/api/offers", { token: buyer.token, body: { itemId: item.id, priceCents: 4000 } })).body.offer;
    expect((await call(app, "POST", `/api/users/${buyer.user.id}/block`, { token: seller.token })).status).toBe(201);
    const buy = await call(app, "POST", "/api/orders", { token: buyer.token, body: { itemId: item.id } });
    expect([buy.status, buy.body]).toEqual([403, { error: { code: "forbidden", message: BLOCKED_MESSAGE, reason: "blocked" } }]);
    expect((await call(app, "POST", `/api/offers/${offer.id}/respond`, { token: seller.token, body: { action: "accept" } })).status).toBe(403);
    expect((await call<{ item: Item }>(app, "GET", `/api/items/${item.id}`, { token: seller.token })).body.item.status).toBe("listed");
    expect(await orderEntries(seller)).toEqual([]);
  });

  it("refuses a buy at a price the listing no longer has, and a reserved listing", async () => {
    const { app, seller, buyers: [buyer], item } = await setUp("alice");
    expect((await call(app, "PATCH", `/api/items/${item.id}`, { token: seller.token, body: { priceCents: 6000 } })).status).toBe(200);
    const stale = await call<{ error: { message: string } }>(app, "POST", "/api/orders", { token: buyer.token, body: { itemId: item.id, priceCents: 5000 } });
    expect([stale.status, stale.body.error.message]).toEqual([409, "The price changed to 60.00; check it and buy again."]);
    expect(await orderEntries(buyer)).toEqual([]);

    expect((await call(app, "PATCH", `/api/items/${item.id}`, { token: seller.token, body: { status: "reserved" } })).status).toBe(200);
    const held = await call<{ error: { message: string } }>(app, "POST", "/api/orders", { token: buyer.token, body: { itemId: item.id, priceCents: 6000 } });
    expect([held.status, held.body.error.message]).toEqual([409, "The seller has reserved this item."]);
    expect((await call(app, "PATCH", `/api/items/${item.id}`, { token: seller.token, body: { status: "listed" } })).status).toBe(200);
    const bought = await call<{ order: Order }>(app, "POST", "/api/orders", { token: buyer.token, body: { itemId: item.id, priceCents: 6000 } });
    expect([bought.status, bought.body.order.priceCents]).toEqual([201, 6000]);
  });
});
