import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import { CourierError, parseInput } from "../../shared/protocol/index.js";
import type { Context, FeatureOptions } from "../context.js";
import { notFound } from "../http/errors.js";

/** Users appended to per transaction when a campaign goes out. */
export const CAMPAIGN_BATCH = 500;

/** An in-app path (`/#/…`, `/items`), never another site: a notification click must not leave Courier. */
const appPath = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[^\s]*$/, "Url must be a path inside the app, like /#/c/… (no scheme, no host).");

export const campaignSchema = z.strictObject({
  title: z.string().trim().min(1).max(100),
  body: z.string().trim().min(1).max(500),
  url: appPath.optional(),
});

const digest = (text: string) => createHash("sha256").update(text).digest();

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
    if (!isAdmin(ctx, req)) throw CourierError.unauthorized("Admin token required (Authorization: Bearer $ADMIN_TOKEN).");
  });

  /**
   * A marketing campaign: a `promo {campaignId, title, body, url?}` entry in
   * every user's marketing domain (in batches), each pushed at very-low
   * urgency within the per-user daily quota. → 201 {campaign: {id, …, recipients}}.
   */
  app.post("/api/admin/campaigns", async (req, reply) => {
    const input = parseInput(campaignSchema, req.body, "body");
    const campaign = { campaignId: randomUUID(), ...input };
    let recipients = 0;
    let after: string | null = null;
    for (;;) {
      const ids: string[] = await ctx.storage.userIdsPage(after, CAMPAIGN_BATCH);
      if (ids.length === 0) break;
      const appended = await ctx.storage.appendEntries(
        ids.map((userId) => ({ userId, d: "marketing" as const, k: "promo", data: campaign })),
        ctx.clock(),
      );
      ctx.hub.publish(appended);
      recipients += ids.length;
      after = ids[ids.length - 1]!;
      // Let the push backlog drain before the next batch: a campaign must not flood memory.
      await ctx.push.belowBacklog();
    }
    req.log.info({ campaignId: campaign.campaignId, recipients }, "campaign sent");
    return reply.code(201).send({ campaign: { id: campaign.campaignId, ...input, recipients } });
  });
};
