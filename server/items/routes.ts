import type { FastifyPluginAsync } from "fastify";
import { randomUUID } from "node:crypto";
import { CourierError, createItemSchema, listItemsQuerySchema, parseInput, type Item, updateItemSchema } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { setItemPhotos } from "../media/media.js";
import { updateItem } from "./items.js";

const LIST_LIMIT = 200;

/** The catalogue: listed and reserved listings, newest first; the seller's edits. */
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
      // The listing's photos: the seller's own uploads (server/media/), in this transaction.
      if (input.mediaIds?.length) await setItemPhotos(tx, id, auth.user.id, input.mediaIds);
      return (await tx.items.get(id))!;
    });
    return reply.code(201).send({ item: { ...item, seller: auth.user } });
  });

  app.get("/api/items", async (req) => {
    const auth = await requireAuth(ctx, req);
    const { sellerId } = parseInput(listItemsQuerySchema, req.query, "query");
    const seller = sellerId === undefined ? undefined : { id: sellerId, everyStatus: sellerId === auth.user.id };
    return { items: await withSellers(await ctx.storage.read(async (r) => r.items.list(LIST_LIMIT, seller))) };
  });

  // Sold and withdrawn listings leave the catalogue and still answer here: their conversations show them.
  app.patch("/api/items/:id", async (req) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const patch = parseInput(updateItemSchema, req.body, "body");
    const item = await ctx.storage.write((tx) => updateItem(tx, auth.user.id, id, patch, ctx.clock()));
    return { item: (await withSellers([item]))[0] };
  });

  app.get("/api/items/:id", async (req) => {
    await requireAuth(ctx, req);
    const item = await ctx.storage.read(async (r) => r.items.get(idParam(req)));
    if (!item) throw CourierError.notFound("No such item.", "item_not_found");
    return { item: (await withSellers([item]))[0] };
  });
};
