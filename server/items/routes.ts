import type { FastifyPluginAsync } from "fastify";
import { CourierError, createItemSchema, parseInput } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";

const LIST_LIMIT = 200;

/** The catalogue: listings, newest first. */
export const itemRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.post("/api/items", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const input = parseInput(createItemSchema, req.body, "body");
    const item = await ctx.storage.createItem(auth.user.id, input, ctx.clock());
    return reply.code(201).send({ item });
  });

  app.get("/api/items", async (req) => {
    await requireAuth(ctx, req);
    return { items: await ctx.storage.listItems(LIST_LIMIT) };
  });

  app.get("/api/items/:id", async (req) => {
    await requireAuth(ctx, req);
    const item = await ctx.storage.getItem(idParam(req));
    if (!item) throw CourierError.notFound("No such item.");
    return { item };
  });
};
