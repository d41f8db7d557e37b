import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import { CourierError, domainSchema, parseInput, PING_PATH, pullQuerySchema, uuidSchema } from "../../shared/protocol/index.js";
import { assertOwnDevice, requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { pullCost, SNAPSHOT_COST } from "../http/in-flight-limit.js";
import { snapshot } from "./log.js";
import { ack, ping, pull } from "./service.js";

const domainParams = z.object({ d: domainSchema });

/** Sync over HTTP: snapshot, pull and ack (the client → server half of every transport). */
export const syncRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  // Reads of many entries, per user on this process with the socket's pulls (ctx.reads): a flood of them must not stall everyone else.
  app.get("/api/sync/snapshot", async (req) => {
    const auth = await requireAuth(ctx, req);
    await assertOwnDevice(ctx, auth);
    const snap = await ctx.reads.run(auth.user.id, SNAPSHOT_COST, () => ctx.storage.read((r) => snapshot(r, auth.user.id)));
    ctx.events.resynced(auth.user.id, "snapshot", ctx.clock());
    return snap;
  });

  app.get("/api/sync/:d", async (req) => {
    const auth = await requireAuth(ctx, req);
    const { d } = parseInput(domainParams, req.params, "domain");
    const q = parseInput(pullQuerySchema, req.query, "query");
    await assertOwnDevice(ctx, auth);
    return ctx.reads.run(auth.user.id, pullCost(q.limit), () => pull(ctx, auth.user.id, auth.deviceId, { d, after: q.after, limit: q.limit, only: q.only }));
  });

  app.post("/api/sync/ack", async (req) => {
    const auth = await requireAuth(ctx, req);
    return ack(ctx, auth.user.id, deviceHeader(req), req.body);
  });

  // extension: the heartbeat of clients on SSE.
  app.post(PING_PATH, async (req) => {
    const auth = await requireAuth(ctx, req);
    return ping(ctx, auth.user.id, deviceHeader(req), req.body);
  });
};

function deviceHeader(req: FastifyRequest): string {
  const header = req.headers["x-device-id"];
  if (typeof header !== "string" || !uuidSchema.safeParse(header).success) {
    throw CourierError.badRequest("X-Device-Id must be this device's UUID.");
  }
  return header;
}
