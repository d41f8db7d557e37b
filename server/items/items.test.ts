import { afterEach, describe, expect, it } from "vitest";
import type { Item } from "../../shared/protocol/index.js";
import { call, register, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

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
