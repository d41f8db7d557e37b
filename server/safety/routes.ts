import type { FastifyPluginAsync } from "fastify";
import { adminReportsQuerySchema, createReportSchema, parseInput } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { block, blockedUsers, unblock } from "./blocks.js";
import { createReport, decodeReportCursor, encodeReportCursor, reportsPage } from "./reports.js";

const ADMIN_REPORTS_LIMIT_DEFAULT = 50;

/**
 * Blocks and reports (docs/protocol.md "Safety (issue 14)"):
 * `POST /api/users/:id/block` → 201 `{blocked: true, user}` (200 when
 * already blocked), `DELETE` → 204 (also when not blocked), `GET
 * /api/blocks` → `{users}`; `POST /api/reports` → 201 `{report}`. Blocks
 * spend the settings budget, reports one of their own (server/http/request-limits.ts).
 */
export const safetyRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.post("/api/users/:id/block", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const { user, created } = await ctx.storage.write((tx) => block(tx, auth.user.id, id, ctx.clock()));
    return reply.code(created ? 201 : 200).send({ blocked: true, user });
  });

  app.delete("/api/users/:id/block", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    await ctx.storage.write((tx) => unblock(tx, auth.user.id, id, ctx.clock()));
    return reply.code(204).send();
  });

  app.get("/api/blocks", async (req) => {
    const auth = await requireAuth(ctx, req);
    return { users: await ctx.storage.read((r) => blockedUsers(r, auth.user.id)) };
  });

  app.post("/api/reports", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const input = parseInput(createReportSchema, req.body, "body");
    const report = await ctx.storage.write((tx) => createReport(tx, auth.user.id, input, ctx.clock()));
    // Ids only: never the note, never a message's text.
    req.log.info({ reportId: report.id, type: report.type, reason: report.reason }, "report received");
    return reply.code(201).send({ report });
  });
};

/** `GET /api/admin/reports?cursor=&limit=`: registered inside the admin routes, behind their token check. */
export const adminReportRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.get("/api/admin/reports", async (req) => {
    const q = parseInput(adminReportsQuerySchema, req.query, "query");
    const before = q.cursor === undefined ? null : decodeReportCursor(q.cursor);
    const { reports, next } = await ctx.storage.read((r) => reportsPage(r, before, q.limit ?? ADMIN_REPORTS_LIMIT_DEFAULT));
    return { reports, ...(next ? { cursor: encodeReportCursor(next) } : {}) };
  });
};
