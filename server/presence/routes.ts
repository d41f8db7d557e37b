import type { FastifyPluginAsync } from "fastify";
import { CourierError, parseInput, PRESENCE_SETTINGS_PATH, presenceSettingsSchema, type PresenceSettings, type PresenceView, TYPING_PATH } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { Context, FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { LastSeen } from "./last-seen.js";
import { typing } from "./typing.js";

/**
 * Presence (docs/marketplace.md, docs/protocol.md "Presence and location"):
 * typing over HTTP (SSE and long-poll devices; WebSocket devices use the
 * socket event), a person's online / last seen, and the setting that hides
 * one's own (and with it everyone else's).
 */
export const presenceRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  ctx.hub.observe(new LastSeen({ hub: ctx.hub, storage: ctx.storage, clock: ctx.clock, log: app.log }));

  app.post(TYPING_PATH, async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    await typing(ctx, auth.user.id, req.body);
    return reply.code(204).send();
  });

  app.get("/api/users/:id/presence", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    reply.header("cache-control", "no-store");
    return presenceOf(ctx, auth.user.id, idParam(req));
  });

  app.get(PRESENCE_SETTINGS_PATH, async (req): Promise<PresenceSettings> => {
    const auth = await requireAuth(ctx, req);
    const mine = await ctx.storage.read(async (r) => r.users.presence(auth.user.id));
    return { showOnline: mine?.showOnline ?? true };
  });

  app.patch(PRESENCE_SETTINGS_PATH, async (req): Promise<PresenceSettings> => {
    const auth = await requireAuth(ctx, req);
    const { showOnline } = parseInput(presenceSettingsSchema, req.body, "body");
    await ctx.storage.write(async (tx) => tx.users.setShowOnline(auth.user.id, showOnline));
    return { showOnline };
  });
};

const UNKNOWN: PresenceView = { online: null, lastSeenAt: null };

/**
 * Someone's presence as `viewerId` may see it: 404 unless they share a
 * conversation (or it is the viewer); nothing (both null) when either
 * hides theirs. Online: a live connection on any process; `null` when the
 * cluster cannot tell (Redis down or slow) and none is here.
 */
export async function presenceOf(ctx: Context, viewerId: string, userId: string): Promise<PresenceView> {
  const found = await ctx.storage.read(async (r) => {
    // A conversation both can see (a direct or item chat with no message yet is the opener's only), and no block either way.
    if (userId !== viewerId && (!(await r.users.shareConversation(viewerId, userId)) || (await r.safety.eitherWay(viewerId, userId)))) return null;
    const [mine, theirs] = await Promise.all([r.users.presence(viewerId), r.users.presence(userId)]);
    return mine && theirs ? { mine, theirs } : null;
  });
  if (!found) throw CourierError.notFound("No such person among your conversations.");
  if (!found.mine.showOnline || !found.theirs.showOnline) return UNKNOWN;
  const live = await ctx.cluster.liveDevices(userId);
  const online = live === null ? (ctx.hub.connectionsOf(userId).length > 0 ? true : null) : live.size > 0;
  return { online, lastSeenAt: found.theirs.lastSeenAt };
}
