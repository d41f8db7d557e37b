import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { CourierError } from "../../shared/protocol/index.js";
import type { FeatureOptions } from "../context.js";
import { isLocalRequest } from "../http/rate-limit.js";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether the request presents `Authorization: Bearer <token>`, compared in constant time (digests have equal length). */
function presents(req: FastifyRequest, token: string): boolean {
  const match = /^Bearer (\S{1,200})$/.exec(req.headers.authorization?.trim() ?? "");
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * `GET /metrics` (contract, Operations): this process's Prometheus
 * exposition. With METRICS_TOKEN set it takes `Authorization: Bearer
 * $METRICS_TOKEN` (401 otherwise); without it only direct loopback clients
 * naming a loopback host (403 for anyone else: a request through a proxy, or
 * a page that rebound its own name to 127.0.0.1). Under the
 * per-address request limit like every request, never a per-user one. A
 * collection that fails answers 503, never 500.
 */
export const metricsRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.get("/metrics", async (req, reply) => {
    const token = ctx.config.metricsToken;
    if (token !== null && !presents(req, token)) throw CourierError.unauthorized("Metrics token required (Authorization: Bearer $METRICS_TOKEN).");
    if (token === null && !isLocalRequest(req)) throw CourierError.forbidden("Metrics answer local clients only; set METRICS_TOKEN to scrape from elsewhere.");
    let exposition: Awaited<ReturnType<typeof ctx.metrics.exposition>>;
    try {
      exposition = await ctx.metrics.exposition();
    } catch (err) {
      req.log.warn({ err }, "metrics collection failed");
      throw new CourierError("unavailable", "Metrics could not be collected; try again.");
    }
    return reply.header("content-type", exposition.contentType).header("cache-control", "no-store").send(exposition.text);
  });
};
