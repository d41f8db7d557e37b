import type { FastifyPluginAsync } from "fastify";
import { CourierError, createItemSchema, parseInput, type Item, type User } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";

const LIST_LIMIT = 200;

/** The catalogue: listings, newest first. */
export const itemRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  // Listings carry their seller (extension `seller`); one lookup per seller per answer.
  const withSellers = async (items: Item[]): Promise<Item[]> => {
    const sellers = new Map<string, User | null>();
    for (const id of new Set(items.map((i) => i.sellerId))) sellers.set(id, await ctx.storage.getUser(id));
    return items.map((item) => {
      const seller = sellers.get(item.sellerId);
      return seller ? { ...item, seller } : item;
    });
  };

  app.post("/api/items", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const input = parseInput(createItemSchema, req.body, "body");
    const item = await ctx.storage.createItem(auth.user.id, input, ctx.clock());
    return reply.code(201).send({ item: { ...item, seller: auth.user } });
  });

  app.get("/api/items", async (req) => {
    await requireAuth(ctx, req);
    return { items: await withSellers(await ctx.storage.listItems(LIST_LIMIT)) };
  });

  app.get("/api/items/:id", async (req) => {
    await requireAuth(ctx, req);
    const item = await ctx.storage.getItem(idParam(req));
    if (!item) throw CourierError.notFound("No such item.");
    return { item: (await withSellers([item]))[0] };
  });
};
