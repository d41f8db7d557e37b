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
});
