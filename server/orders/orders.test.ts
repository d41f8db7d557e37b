import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Item, Message, Order, Summary } from "../../shared/protocol/index.js";
import { call, pullAll, register, startServer, type Session, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

async function listing(s: Session, title = "Bike"): Promise<Item> {
  const res = await call<{ item: Item }>(server.app, "POST", "/api/items", { token: s.token, body: { title, priceCents: 5000, description: "Red" } });
  expect(res.status).toBe(201);
  return res.body.item;
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
      const opened = await call(app, "POST", "/api/conversations", { token: s.token, body: { type: "item", itemId: item.id } });
      expect(opened.status).toBe(201);
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
