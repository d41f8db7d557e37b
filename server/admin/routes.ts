import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import { commandCreateSchema, CourierError, humanText, parseInput } from "../../shared/protocol/index.js";
import type { Context, FeatureOptions } from "../context.js";
import { notFound } from "../http/errors.js";
import { idParam } from "../http/params.js";
import { ipKey } from "../http/rate-limit.js";
import { traceRoutes } from "../observability/trace-routes.js";
import { dashboardRoutes } from "../observability/dashboard-routes.js";
import { adminReportRoutes } from "../safety/routes.js";
import { CampaignPace, campaignStep } from "./campaigns.js";
import { commandWithResults, createCommand } from "./commands.js";

/** An in-app path (`/#/…`, `/items`), never another site: a notification click must not leave Courier. */
const appPath = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[^\s]*$/, "Url must be a path inside the app, like /#/c/… (no scheme, no host).");

export const campaignSchema = z.strictObject({
  title: humanText(100, { trim: true }),
  body: humanText(500, { trim: true }),
  url: appPath.optional(),
});

const digest = (text: string) => createHash("sha256").update(text).digest();

/** `Idempotency-Key`: a retried request with the same key and content sends nothing twice. */
const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, "Idempotency-Key must be 1 to 200 visible ASCII characters.")
  .optional();

/** What a key stands for: the same key with other content is a mistake, not a retry. */
export const campaignFingerprint = (input: z.infer<typeof campaignSchema>) =>
  createHash("sha256")
    .update(JSON.stringify([input.title, input.body, input.url ?? null]))
    .digest("base64url");

/** Compares the presented Bearer token with ADMIN_TOKEN in constant time (hashes have equal length). */
function isAdmin(ctx: Context, req: FastifyRequest): boolean {
  const expected = ctx.config.adminToken;
  const match = /^Bearer (\S{1,200})$/.exec(req.headers.authorization?.trim() ?? "");
  return expected !== null && match !== null && timingSafeEqual(digest(match[1]!), digest(expected));
}

/**
 * The admin API, on only when ADMIN_TOKEN is set (otherwise every path
 * answers 404 as if it did not exist). Authorised by `Authorization: Bearer
 * $ADMIN_TOKEN`, never by a user session or cookie.
 */
export const adminRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.addHook("onRequest", async (req, reply) => {
    if (ctx.config.adminToken === null) return notFound(reply);
    // Every attempt takes a token and a right one gives it back: guesses are limited per address
    // (loopback included), and the operator at another address is never locked out.
    const address = ipKey(req.ip);
    await ctx.limits.adminFailuresPerIp.enforce(address, "wrong admin tokens from this address");
    if (!isAdmin(ctx, req)) throw CourierError.unauthorized("Admin token required (Authorization: Bearer $ADMIN_TOKEN).");
    await ctx.limits.adminFailuresPerIp.giveBack(address);
  });

  /**
   * A marketing campaign: a `promo {campaignId, title, body, url?}` entry in
   * every user's marketing domain (in batches), each pushed at very-low
   * urgency within the per-user daily quota. → 201 {campaign: {id, …, recipients}}.
   * With an `Idempotency-Key`, a repeat of the request answers 200 with the
   * same campaign and finishes it if it was cut short (a crash, a timeout):
   * nobody gets it twice, nobody is skipped.
   */
  app.post("/api/admin/campaigns", async (req, reply) => {
    const input = parseInput(campaignSchema, req.body, "body");
    const key = parseInput(idempotencyKeySchema, req.headers["idempotency-key"], "header");
    const fingerprint = campaignFingerprint(input);
    const opened = await ctx.storage.write(async (tx) => tx.campaigns.open({ id: randomUUID(), key: key ?? null, fingerprint, ...input }, ctx.clock()));
    let campaign = opened.campaign;
    if (!opened.created && campaign.fingerprint !== fingerprint) {
      throw CourierError.conflict("This Idempotency-Key was used for a different campaign.");
    }
    // Paced beside chat (CampaignPace): short steps, each followed by a rest as long as it took.
    const pace = new CampaignPace();
    while (!campaign.done) {
      const id = campaign.id;
      const before = campaign.recipients;
      const started = performance.now();
      // In the background: never in one transaction with people's writes (SQLite's group commit).
      campaign = await ctx.storage.write((tx) => campaignStep(tx, id, pace.limit, ctx.clock()), { background: true });
      if (campaign.done) break;
      // Let the push side route this step and drain its backlog before the next: a campaign must not flood memory
      // nor hold the database (each user's routing reads it) while chat waits.
      await ctx.push.belowBacklog();
      await sleep(pace.stepTook(campaign.recipients - before, performance.now() - started));
    }
    req.log.info({ campaignId: campaign.id, recipients: campaign.recipients, repeat: !opened.created }, "campaign sent");
    const { id, title, body, url, recipients } = campaign;
    return reply.code(opened.created ? 201 : 200).send({ campaign: { id, title, body, ...(url !== undefined ? { url } : {}), recipients } });
  });

  /**
   * A command for a user's devices (server/admin/commands.ts) → 201 {command}.
   * A `sign_out` closes the live connections of the devices it signed out,
   * on every process, once its `cmd` entry has gone out.
   */
  app.post("/api/admin/commands", async (req, reply) => {
    const input = parseInput(commandCreateSchema, req.body, "body");
    const { command, signedOut } = await ctx.storage.write((tx) => createCommand(tx, input, randomUUID(), ctx.clock()));
    if (signedOut !== null && (signedOut.deviceIds.length > 0 || signedOut.sessionIds.length > 0)) {
      ctx.hub.closeEverywhere({ userId: command.userId, deviceIds: signedOut.deviceIds, sessionIds: signedOut.sessionIds }, "logout");
    }
    req.log.info({ commandId: command.id, name: command.name, userId: command.userId, deviceId: command.deviceId }, "command issued");
    return reply.code(201).send({ command });
  });

  // Safety (issue 14): reports, newest first (server/safety/routes.ts), behind the token check above.
  await app.register(adminReportRoutes, { ctx });
  // Observability (issue 15): the dashboard's data and device diagnostics (server/observability/dashboard-routes.ts), behind the same check.
  await app.register(dashboardRoutes, { ctx });
  // Issue 15: a message's trace (server/observability/trace-routes.ts), behind the same token check.
  await app.register(traceRoutes, { ctx });

  app.get("/api/admin/commands/:id", async (req) => {
    const id = idParam(req);
    return ctx.storage.read((r) => commandWithResults(r, id));
  });
};
