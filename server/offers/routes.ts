import type { FastifyPluginAsync } from "fastify";
import { createOfferSchema, listOffersQuerySchema, parseInput, respondOfferSchema } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { createOffer, listOffers, respondOffer } from "./offers.js";

/**
 * Offers in an item chat (docs/marketplace.md, docs/protocol.md "Offers,
 * orders and listings"). Each change reaches both parties as `offer` entries
 * in their system domain; a new offer or counter is also a chat message.
 */
export const offerRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.post("/api/offers", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const { itemId, priceCents } = parseInput(createOfferSchema, req.body, "body");
    const offer = await ctx.storage.write((tx) => createOffer(tx, auth.user.id, itemId, priceCents, ctx.clock()));
    return reply.code(201).send({ offer });
  });

  app.post("/api/offers/:id/respond", async (req) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const input = parseInput(respondOfferSchema, req.body, "body");
    return ctx.storage.write((tx) => respondOffer(tx, auth.user.id, id, input, ctx.clock()));
  });

  app.get("/api/offers", async (req) => {
    const auth = await requireAuth(ctx, req);
    const where = parseInput(listOffersQuerySchema, req.query, "query");
    return { offers: await ctx.storage.read((r) => listOffers(r, auth.user.id, where)) };
  });
};
