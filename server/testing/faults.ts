import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { CourierError, parseInput, transportNameSchema } from "../../shared/protocol/index.js";
import type { FeatureOptions } from "../context.js";
import { isLocalRequest } from "../http/rate-limit.js";

const closeSchema = z.strictObject({ transport: transportNameSchema });

/**
 * Fault injection for the chaos suite (e2e/chaos.spec.ts): only registered
 * when `FAULT_INJECTION=1`, and even then it answers only direct loopback
 * clients (no proxy header) that name a loopback host (no DNS rebinding from
 * a web page). Never enable it on a server people use.
 *
 * - `POST /api/faults/close {transport}` ends every live connection of that
 *   transport in this process, as the server does when it declares one dead
 *   (the client gets `close {reason: "dead"}` where the transport can say so);
 * - `GET /api/faults/metrics` → this process's delivery counters and push
 *   funnel, for the chaos report.
 */
export async function faultRoutes(app: FastifyInstance, { ctx }: FeatureOptions): Promise<void> {
  app.addHook("onRequest", async (req) => {
    if (!isLocalRequest(req)) throw CourierError.forbidden("Fault injection answers local clients only.");
  });
  app.post("/api/faults/close", async (req) => {
    const { transport } = parseInput(closeSchema, req.body, "body");
    return { closed: ctx.hub.closeWhere((conn) => conn.transport === transport, "dead") };
  });
  app.get("/api/faults/metrics", async () => ({ delivery: ctx.delivery.snapshot(), push: ctx.pushFunnel.snapshot() }));
}
