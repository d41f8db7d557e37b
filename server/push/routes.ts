import type { FastifyPluginAsync } from "fastify";
import {
  CourierError,
  parseInput,
  PUSH_PREFERENCES_PATH,
  PUSH_RECEIPTS_PATH,
  pushPreferencesSchema,
  pushReceiptSchema,
  VAPID_KEY_PATH,
} from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { FeatureOptions } from "../context.js";
import { RECEIPT_WINDOW_MS } from "./policy.js";

/** Web Push: the VAPID key to subscribe with, the service worker's receipts, and per-user preferences. */
export const pushRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.get(VAPID_KEY_PATH, async (_req, reply) => {
    // Stable for the life of the database; a client re-reads it when it (re)subscribes.
    reply.header("cache-control", "no-cache");
    return { key: ctx.push.publicKey };
  });

  /**
   * The funnel's last two steps, reported by the service worker. No session
   * is needed (the worker may outlive one): the id is an unguessable random
   * UUID the server issued to that notification, accepted for
   * RECEIPT_WINDOW_MS, and each (id, event) counts once.
   */
  app.post(PUSH_RECEIPTS_PATH, async (req, reply) => {
    const { id, event } = parseInput(pushReceiptSchema, req.body, "body");
    const result = await ctx.storage.write(async (tx) => tx.push.receipt(id, event, ctx.clock() - RECEIPT_WINDOW_MS));
    if (result.status === "unknown") throw CourierError.notFound("No such notification, or it is too old.");
    if (result.status === "counted") {
      ctx.pushFunnel.receipt(result.category, event);
      // The device and messages are known where the notification was sent from (this process, most often).
      const notice = ctx.push.noticeOf(id);
      ctx.events.pushReceipt(notice?.device ?? null, event, result.category, notice?.messages ?? [], ctx.clock());
    }
    return reply.code(204).send();
  });

  app.get(PUSH_PREFERENCES_PATH, async (req) => {
    const auth = await requireAuth(ctx, req);
    return await ctx.storage.read(async (r) => r.push.preferences(auth.user.id));
  });

  app.put(PUSH_PREFERENCES_PATH, async (req) => {
    const auth = await requireAuth(ctx, req);
    const prefs = parseInput(pushPreferencesSchema, req.body, "body");
    return await ctx.storage.write(async (tx) => {
      await tx.push.setPreferences(auth.user.id, prefs, ctx.clock());
      return tx.push.preferences(auth.user.id);
    });
  });
};
