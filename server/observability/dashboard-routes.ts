import type { FastifyPluginAsync } from "fastify";
import { adminDiagnosticsQuerySchema, DIAGNOSTICS_LIMIT_DEFAULT, parseInput } from "../../shared/protocol/index.js";
import type { FeatureOptions } from "../context.js";
import { readDashboard } from "./node-metrics.js";

/**
 * The data behind `/admin` (docs/observability.md, "Dashboard"), registered
 * inside the admin routes: their hook has already checked the admin token.
 */
export const dashboardRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  /** Every process seen in the last minute (this one as of now) and their sum: cumulative, the client diffs two polls. */
  app.get("/api/admin/dashboard", async (_req, reply) => {
    reply.header("cache-control", "no-store");
    return readDashboard(ctx.storage, ctx.snapshots, ctx.clock());
  });

  /** The latest diagnostics result per device, newest first: of one user, or across users. */
  app.get("/api/admin/diagnostics", async (req, reply) => {
    const q = parseInput(adminDiagnosticsQuerySchema, req.query, "query");
    const devices = await ctx.storage.read(async (r) => r.commands.latestDiagnostics(q.userId ?? null, q.limit ?? DIAGNOSTICS_LIMIT_DEFAULT));
    reply.header("cache-control", "no-store");
    return { devices };
  });
};
