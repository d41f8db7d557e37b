import type { FastifyPluginAsync } from "fastify";
import { parseInput, usersQuerySchema } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { followRoutes } from "./follow.js";

const SEARCH_LIMIT = 20;

/** Finding someone to talk to: username or display name containing the query, prefix matches first. */
export const userRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.get("/api/users", async (req) => {
    const auth = await requireAuth(ctx, req);
    const { q } = parseInput(usersQuerySchema, req.query, "query");
    const users = await ctx.storage.read(async (r) => r.users.search((q ?? "").trim(), auth.user.id, SEARCH_LIMIT));
    return { users };
  });

  await app.register(followRoutes, { ctx });
};
