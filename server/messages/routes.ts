import type { FastifyPluginAsync } from "fastify";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { hide, recall } from "./lifecycle.js";
import { send } from "./send.js";

/** HTTP send: 201 for a new message, 200 with the same message for a repeat. Recall (200, the tombstone) and delete for me (204). */
export const messageRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.post("/api/messages", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const { message, created } = await send(ctx, auth.user.id, req.body, auth.deviceId);
    return reply.code(created ? 201 : 200).send({ message });
  });

  app.post("/api/messages/:id/recall", async (req) => {
    const auth = await requireAuth(ctx, req);
    return { message: await recall(ctx, auth.user.id, { messageId: idParam(req) }) };
  });

  app.post("/api/messages/:id/hide", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    await hide(ctx, auth.user.id, idParam(req));
    return reply.code(204).send();
  });
};
