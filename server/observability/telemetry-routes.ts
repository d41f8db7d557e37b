import type { FastifyPluginAsync } from "fastify";
import { CourierError, parseInput, TELEMETRY_BODY_MAX_BYTES, TELEMETRY_PATH, telemetrySchema } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";

const tooLarge = () => CourierError.tooLarge(`A telemetry report is at most ${TELEMETRY_BODY_MAX_BYTES / 1024} KB of JSON.`);

/**
 * Client reports (docs/observability.md "Client reports", docs/protocol.md
 * "Telemetry"): a signed-in web app's batch of what only it sees, checked
 * against `telemetrySchema` and handed to `ctx.events.client`, which feeds
 * the `courier_client_*` metric families. Nothing is stored; no id or text
 * is in a report. Limited per user (`telemetryPerUser`) on top of the
 * general per-user budget.
 */
export const telemetryRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.post(
    TELEMETRY_PATH,
    {
      bodyLimit: TELEMETRY_BODY_MAX_BYTES,
      // Fastify's refusal of a body over this route's limit, in this route's words (the shared handler answers it).
      errorHandler: (err) => {
        throw (err as { code?: unknown }).code === "FST_ERR_CTP_BODY_TOO_LARGE" ? tooLarge() : err;
      },
    },
    async (req, reply) => {
      const auth = await requireAuth(ctx, req);
      // Checked before it is charged: a refused report spends none of the user's reports.
      const report = parseInput(telemetrySchema, req.body, "body");
      await ctx.limits.telemetryPerUser.enforce(auth.user.id, "telemetry reports");
      ctx.events.client(auth.user.id, report, ctx.clock());
      return reply.code(204).send();
    },
  );
};
