import type { FastifyPluginAsync } from "fastify";
import { CourierError } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { follow, unfollow } from "./follows.js";

/**
 * A minimal follow: `POST /api/users/:id/follow` → 201 `{following: true, user}`
 * (200 when already following), `DELETE` → 204 (also when not following).
 * A new follow appends `notice {type: "follow", user}` to the followed user's
 * system domain, which the push service turns into "Alice started following you";
 * following again within a day of the last notice notifies no one.
 */
export const followRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.post("/api/users/:id/follow", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    if (id === auth.user.id) throw CourierError.badRequest("You can't follow yourself.");
    const change = await ctx.storage.write((tx) => follow(tx, auth.user.id, id, ctx.clock()));
    return reply.code(change.created ? 201 : 200).send({ following: true, user: change.followee });
  });

  app.delete("/api/users/:id/follow", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    if (id === auth.user.id) throw CourierError.badRequest("You can't follow yourself.");
    await ctx.storage.write((tx) => unfollow(tx, auth.user.id, id, ctx.clock()));
    return reply.code(204).send();
  });
};
