import type { FastifyPluginAsync } from "fastify";
import { randomUUID } from "node:crypto";
import { CourierError, createItemSchema, parseInput, type Item } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";

const LIST_LIMIT = 200;

/** The catalogue: listings, newest first. */
export const itemRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  // Listings carry their seller (extension `seller`); one lookup for all sellers of an answer.
  const withSellers = async (items: Item[]): Promise<Item[]> => {
    const ids = [...new Set(items.map((i) => i.sellerId))];
    const sellers = new Map((await ctx.storage.read(async (r) => r.users.getMany(ids))).map((u) => [u.id, u]));
    return items.map((item) => {
      const seller = sellers.get(item.sellerId);
      return seller ? { ...item, seller } : item;
    });
  };

  app.post("/api/items", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const input = parseInput(createItemSchema, req.body, "body");
    const id = randomUUID();
    const item = await ctx.storage.write(async (tx) => {
      await tx.items.insert({ ...input, id, sellerId: auth.user.id, at: ctx.clock() });
      return (await tx.items.get(id))!;
    });
    return reply.code(201).send({ item: { ...item, seller: auth.user } });
  });

  app.get("/api/items", async (req) => {
    await requireAuth(ctx, req);
    return { items: await withSellers(await ctx.storage.read(async (r) => r.items.list(LIST_LIMIT))) };
  });

  app.get("/api/items/:id", async (req) => {
    await requireAuth(ctx, req);
    const item = await ctx.storage.read(async (r) => r.items.get(idParam(req)));
    if (!item) throw CourierError.notFound("No such item.");
    return { item: (await withSellers([item]))[0] };
  });
};
