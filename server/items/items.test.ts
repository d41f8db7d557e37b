import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Item, itemState, type Summary } from "../../shared/protocol/index.js";
import { call, pullAll, register, sendHttp, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

/** An item on the wire, short: its status, and its availability after a slash when it has one ("listed/reserved"). */
const wire = (i: Item) => (i.availability ? `${i.status}/${i.availability}` : i.status);

describe("listings", () => {
  it("lists newest first with the seller's name, and explains a bad listing in words", async () => {
    server = await startServer();
    const { app } = server;
    const bob = await register(app, "bob");
    const alice = await register(app, "alice");
    for (const title of ["Bike", "Lamp"]) {
      expect((await call(app, "POST", "/api/items", { token: bob.token, body: { title, priceCents: 1200 } })).status).toBe(201);
    }
    const list = await call<{ items: Item[] }>(app, "GET", "/api/items", { token: alice.token });
    expect(list.body.items.map((i) => [i.title, i.seller?.displayName])).toEqual([
      ["Lamp", "Bob"],
      ["Bike", "Bob"],
    ]);
    const one = await call<{ item: Item }>(app, "GET", `/api/items/${list.body.items[0]!.id}`, { token: alice.token });
    expect(one.body.item.seller?.username).toBe("bob");

    const bad = await call<{ error: { code: string; message: string } }>(app, "POST", "/api/items", {
      token: bob.token,
      body: { title: "", priceCents: 5 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("Title is required.");
    expect((await call<{ items: Item[] }>(app, "GET", "/api/items", { token: alice.token })).body.items).toHaveLength(2);
  });

  it("refuses a title or description that is invalid, a control character or invisible, naming the field; keeps tricky valid text as typed", async () => {
    server = await startServer();
    const { app } = server;
    const bob = await register(app, "bob");
    const post = (body: object) => call<{ item: Item; error: { code: string; message: string } }>(app, "POST", "/api/items", { token: bob.token, body });
    const refused: [object, RegExp][] = [
      [{ title: "\u0000", priceCents: 1 }, /^Title contains a control character \(U\+0000\)/],
      [{ title: "\uD83D Bike", priceCents: 1 }, /^Title is not valid Unicode/],
      [{ title: "\u200B\u200B", priceCents: 1 }, /^Title is empty/],
      [{ title: "Bike", priceCents: 1, description: "\u2060" }, /^Description is empty/],
      [{ title: "Bike", priceCents: 1, description: "ok\u001B[2J" }, /^Description contains a control character/],
    ];
    for (const [body, expected] of refused) {
      const res = await post(body);
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([400, "bad_request"]);
      expect(res.body.error.message).toMatch(expected);
    }
    expect((await call<{ items: Item[] }>(app, "GET", "/api/items", { token: bob.token })).body.items).toEqual([]);

    const title = "Fahrrad 🚲 e\u0301 自転車";
    const description = "Line one\n\tindented, مرحبا\n";
    const made = await post({ title: `  ${title} `, priceCents: 1, description });
    expect(made.status).toBe(201);
    const listed = (await call<{ items: Item[] }>(app, "GET", "/api/items", { token: bob.token })).body.items;
    expect(listed.map((i) => [i.title, i.description])).toEqual([[title, description]]);
  });
});

describe("listing edits (issue 14)", () => {
  /** A clock a second further on each reading: listings made one after another are ordered by time, never by id. */
  const ticking = () => {
    let t = 1_800_000_000_000;
    return () => (t += 1000);
  };

  it("the seller edits, reserves, withdraws and lists again; others 403, unknown 404, sold 409; the catalogue shows listed and reserved", async () => {
    server = await startServer({}, { clock: ticking() });
    const { app } = server;
    const bob = await register(app, "bob");
    const alice = await register(app, "alice");
    const made = async (title: string) => (await call<{ item: Item }>(app, "POST", "/api/items", { token: bob.token, body: { title, priceCents: 1200 } })).body.item;
    const [bike, lamp, sold] = [await made("Bike"), await made("Lamp"), await made("Sofa")];
    const patch = (id: string, body: object, token = bob.token) =>
      call<{ item: Item; error: { message: string } }>(app, "PATCH", `/api/items/${id}`, { token, body });
    const catalogue = async () => (await call<{ items: Item[] }>(app, "GET", "/api/items", { token: alice.token })).body.items.map((i) => [i.title, wire(i)]);

    const edited = await patch(bike.id, { title: "Red bike", priceCents: 1500, description: "Barely used" });
    expect(edited.status).toBe(200);
    expect(edited.body.item).toMatchObject({ title: "Red bike", priceCents: 1500, description: "Barely used", status: "listed", seller: { username: "bob" } });
    const theirs = await patch(bike.id, { title: "Mine" }, alice.token);
    expect([theirs.status, theirs.body.error.message]).toEqual([403, "Only the seller can change this listing."]);
    expect((await patch("nope", { title: "x" })).status).toBe(404);
    expect((await patch(bike.id, {})).status).toBe(400);
    expect((await patch(bike.id, { status: "sold" })).status).toBe(400);
    expect((await patch(bike.id, { title: "" })).status).toBe(400);

    // The contract's status keeps its two values; reserved and withdrawn ride in `availability`.
    expect((await patch(bike.id, { status: "reserved" })).body.item).toMatchObject({ status: "listed", availability: "reserved" });
    expect((await patch(lamp.id, { status: "withdrawn" })).body.item).toMatchObject({ status: "sold", availability: "withdrawn" });
    expect((await call(app, "POST", "/api/orders", { token: alice.token, body: { itemId: sold.id } })).status).toBe(201);
    expect(await catalogue()).toEqual([["Red bike", "listed/reserved"]]);
    // A seller's shelf: their own listings in every status; someone else's, as the catalogue shows them.
    const shelf = async (token: string) =>
      (await call<{ items: Item[] }>(app, "GET", `/api/items?sellerId=${bob.user.id}`, { token })).body.items.map((i) => [i.title, wire(i)]);
    expect(await shelf(bob.token)).toEqual([
      ["Sofa", "sold"],
      ["Lamp", "sold/withdrawn"],
      ["Red bike", "listed/reserved"],
    ]);
    expect(await shelf(alice.token)).toEqual([["Red bike", "listed/reserved"]]);
    expect((await call(app, "GET", "/api/items?seller=x", { token: bob.token })).status).toBe(400);
    // Sold and withdrawn ones still answer by id: their conversations show them.
    expect(itemState((await call<{ item: Item }>(app, "GET", `/api/items/${lamp.id}`, { token: alice.token })).body.item)).toBe("withdrawn");
    const soldEdit = await patch(sold.id, { status: "withdrawn" });
    expect([soldEdit.status, soldEdit.body.error.message]).toEqual([409, "This item is sold; its listing can't change."]);

    expect((await patch(lamp.id, { status: "listed" })).status).toBe(200);
    expect(await catalogue()).toEqual([
      ["Lamp", "listed"],
      ["Red bike", "listed/reserved"],
    ]);
    expect((await call<{ item: Item }>(app, "GET", `/api/items/${bike.id}`, { token: alice.token })).body.item.title).toBe("Red bike");
  });

  it("an edit reaches the conversations about the item as their conv entries, on both sides", async () => {
    server = await startServer();
    const { app } = server;
    const bob = await register(app, "bob");
    const alice = await register(app, "alice");
    const item = (await call<{ item: Item }>(app, "POST", "/api/items", { token: bob.token, body: { title: "Bike", priceCents: 1200 } })).body.item;
    const opened = await call<{ summary: Summary }>(app, "POST", "/api/conversations", { token: alice.token, body: { type: "item", itemId: item.id } });
    await sendHttp(app, alice, opened.body.summary.conversationId, "Is it still there?");

    expect((await call(app, "PATCH", `/api/items/${item.id}`, { token: bob.token, body: { priceCents: 999, status: "reserved" } })).status).toBe(200);
    for (const s of [alice, bob]) {
      const convs = (await pullAll(app, s, "chat")).entries.filter((e) => e.k === "conv");
      expect((convs.at(-1)!.data as { summary: Summary }).summary.item).toMatchObject({ priceCents: 999, status: "listed", availability: "reserved" });
    }
  });

  it("on the wire status is only ever the contract's listed or sold, a strict outside client parses every item; availability tells reserved and withdrawn", async () => {
    server = await startServer({}, { clock: ticking() });
    const { app } = server;
    const bob = await register(app, "bob");
    const alice = await register(app, "alice");
    // As an outside client written from the contract reads an item: other fields may come, status has two values.
    const contractItem = z.object({
      id: z.string(),
      sellerId: z.string(),
      title: z.string(),
      priceCents: z.number().int(),
      description: z.string(),
      status: z.enum(["listed", "sold"]),
      at: z.number(),
    });
    const strict = (item: unknown) => {
      contractItem.parse(item);
      return wire(item as Item);
    };
    const expected: Record<string, string> = { Bike: "listed", Lamp: "listed/reserved", Sofa: "sold", Chair: "sold/withdrawn" };
    const ids: Record<string, string> = {};
    for (const title of Object.keys(expected)) {
      const item = (await call<{ item: Item }>(app, "POST", "/api/items", { token: bob.token, body: { title, priceCents: 1200 } })).body.item;
      ids[title] = item.id;
      // A chat about each, so each also reaches alice in a summary.
      const opened = await call<{ summary: Summary }>(app, "POST", "/api/conversations", { token: alice.token, body: { type: "item", itemId: item.id } });
      await sendHttp(app, alice, opened.body.summary.conversationId, `Is the ${title} still there?`);
    }
    expect((await call(app, "PATCH", `/api/items/${ids.Lamp}`, { token: bob.token, body: { status: "reserved" } })).status).toBe(200);
    expect((await call(app, "PATCH", `/api/items/${ids.Chair}`, { token: bob.token, body: { status: "withdrawn" } })).status).toBe(200);
    expect((await call(app, "POST", "/api/orders", { token: alice.token, body: { itemId: ids.Sofa } })).status).toBe(201);

    const byTitle = (items: Item[]) => Object.fromEntries(items.map((i) => [i.title, strict(i)]));
    // The catalogue: listed and reserved ones, both "listed" to the contract.
    expect(byTitle((await call<{ items: Item[] }>(app, "GET", "/api/items", { token: alice.token })).body.items)).toEqual({ Bike: "listed", Lamp: "listed/reserved" });
    // The seller's shelf has every state.
    expect(byTitle((await call<{ items: Item[] }>(app, "GET", `/api/items?sellerId=${bob.user.id}`, { token: bob.token })).body.items)).toEqual(expected);
    for (const [title, id] of Object.entries(ids)) {
      expect(strict((await call<{ item: Item }>(app, "GET", `/api/items/${id}`, { token: alice.token })).body.item), title).toBe(expected[title]);
    }
    // Summaries, as listed and as synced (the conv entries after each change), on both sides.
    for (const s of [alice, bob]) {
      const listed = (await call<{ conversations: Summary[] }>(app, "GET", "/api/conversations", { token: s.token })).body.conversations;
      expect(byTitle(listed.map((summary) => summary.item!))).toEqual(expected);
      const synced = (await pullAll(app, s, "chat")).entries.filter((e) => e.k === "conv").map((e) => (e.data as { summary: Summary }).summary.item);
      expect(synced.length).toBeGreaterThan(0);
      for (const item of synced) if (item) strict(item);
      const latest = Object.fromEntries(synced.filter((i): i is Item => !!i).map((i) => [i.title, wire(i)]));
      // (The sofa's own chat hears of its sale as an `order` entry, not a conv entry.)
      expect(latest).toMatchObject({ Bike: "listed", Lamp: "listed/reserved", Chair: "sold/withdrawn" });
    }
    // The two fields read back as one state; the order and offer rules use it.
    const chair = (await call<{ item: Item }>(app, "GET", `/api/items/${ids.Chair}`, { token: alice.token })).body.item;
    expect(itemState(chair)).toBe("withdrawn");
    expect((await call(app, "POST", "/api/orders", { token: alice.token, body: { itemId: ids.Chair } })).status).toBe(409);
    expect((await call(app, "POST", "/api/offers", { token: alice.token, body: { itemId: ids.Lamp, priceCents: 900 } })).status).toBe(201);
  });
});
