import type { Config } from "../config.js";
import type { BuildOptions } from "../app.js";
import type { Item } from "../../shared/protocol/index.js";
import { call, register, type Session, startServer, type TestServer } from "../testing/harness.js";

/** Tests of offers, orders and listings: a listing of `seller`'s ("Bike" at 50.00 unless told). */
export async function listing(server: TestServer, seller: Session, title = "Bike", priceCents = 5000): Promise<Item> {
  const res = await call<{ item: Item }>(server.app, "POST", "/api/items", { token: seller.token, body: { title, priceCents, description: "Red" } });
  if (res.status !== 201) throw new Error(`listing: ${res.status}`);
  return res.body.item;
}

/** A test server with a seller, Bob, his listing "Bike" at 50.00, and the buyers named (registered in that order). */
export async function market<const N extends readonly string[]>(buyers: N, opts: { config?: Partial<Config>; build?: Omit<BuildOptions, "config"> } = {}) {
  const server = await startServer(opts.config, opts.build);
  const seller = await register(server.app, "bob");
  const people: Session[] = [];
  for (const name of buyers) people.push(await register(server.app, name));
  return { server, app: server.app, seller, buyers: people as { -readonly [K in keyof N]: Session }, item: await listing(server, seller) };
}
