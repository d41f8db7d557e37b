import type { FastifyPluginAsync } from "fastify";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { send } from "./send.js";

/** HTTP send: 201 for a new message, 200 with the same message for a repeat. */
export const messageRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.post("/api/messages", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const { message, created } = await send(ctx, auth.user.id, req.body);
    return reply.code(created ? 201 : 200).send({ message });
  });
};
