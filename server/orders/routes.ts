import type { FastifyPluginAsync } from "fastify";
import { advanceOrderSchema, createOrderSchema, parseInput } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { advanceOrder, cancelOrder, createOrder, partyOrder } from "./orders.js";

/**
 * The order flow of an item conversation: bought (buyer) → shipped (seller)
 * → received (buyer), or cancelled before it ships. Each step reaches both
 * parties as an `order` entry in their system domain and as a system message
 * in the conversation.
 */
export const orderRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.post("/api/orders", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const { itemId, priceCents } = parseInput(createOrderSchema, req.body, "body");
    const order = await ctx.storage.write((tx) => createOrder(tx, auth.user.id, itemId, ctx.clock(), priceCents));
    return reply.code(201).send({ order });
  });

  app.patch("/api/orders/:id", async (req) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const { status, reason } = parseInput(advanceOrderSchema, req.body, "body");
    const order = await ctx.storage.write((tx) =>
      status === "cancelled" ? cancelOrder(tx, auth.user.id, id, reason, ctx.clock()) : advanceOrder(tx, auth.user.id, id, status, ctx.clock()),
    );
    return { order };
  });

  app.get("/api/orders/:id", async (req) => {
    const auth = await requireAuth(ctx, req);
    return { order: await ctx.storage.read((r) => partyOrder(r, auth.user.id, idParam(req))) };
  });
};
