import type { FastifyPluginAsync } from "fastify";
import { parseInput, searchQuerySchema } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { SNAPSHOT_COST } from "../http/in-flight-limit.js";
import { search } from "./search.js";

/** Server search (docs/protocol.md "Search (issue 13)"). */
export const searchRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  // A search may read thousands of rows: one of the user's reads (ctx.reads), at the size of a snapshot, so it runs alone among them.
  app.get("/api/search", async (req) => {
    const auth = await requireAuth(ctx, req);
    const q = parseInput(searchQuerySchema, req.query, "query");
    return ctx.reads.run(auth.user.id, SNAPSHOT_COST, () => ctx.storage.read((r) => search(r, auth.user.id, q)));
  });
};
