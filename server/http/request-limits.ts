import type { FastifyInstance, FastifyRequest } from "fastify";
import { PING_PATH, PRESENCE_SETTINGS_PATH, PUSH_PREFERENCES_PATH } from "../../shared/protocol/index.js";
import type { Context } from "../context.js";
import { type LimitName, warnUntrustedProxy } from "./rate-limit.js";

/**
 * The HTTP doors' limits (protocol: "Limits"):
 *
 *   every request ──▶ per client address (`requestsPerIp`, onRequest: before
 *                     any parsing, static files included; a proxy header
 *                     without TRUST_PROXY is logged once, warnUntrustedProxy)
 *   authenticated ──▶ per user (`requestsPerUser`, shared with socket events)
 *                 ──▶ per user and route, for writes that crowd others out
 *                     (ROUTE_LIMITS: listings, settings)
 *   authenticated upkeep (UPKEEP_ROUTES: acks, heartbeats) ──▶ per user on
 *                     a budget of its own (`upkeepPerUser`, shared with the
 *                     socket's acks and heartbeats); the address's token is
 *                     given back: others' messages cause these, so they
 *                     must not spend what the user's or the address's own
 *                     requests need (one office behind one address included)
 *
 * Refusals are `429 rate_limited` with `Retry-After`.
 */
export function installRequestLimits(app: FastifyInstance, ctx: Context): void {
  app.addHook("onRequest", async (req) => {
    warnUntrustedProxy(req.raw, ctx.config.trustProxy, ctx.warnOnce);
    await ctx.limits.enforceIp(ctx.limits.requestsPerIp, req, "requests from this address");
  });
}

/** Writes limited per user beyond the general budget, by route (method and Fastify's route pattern). */
export const ROUTE_LIMITS: Readonly<Record<string, { limit: LimitName; what: string }>> = {
  // 300 listings in a burst pushed everyone else's off the 200-item catalogue.
  "POST /api/items": { limit: "itemsPerUser", what: "new listings" },
  "PATCH /api/conversations/:id/settings": { limit: "settingsPerUser", what: "settings changes" },
  [`PUT ${PUSH_PREFERENCES_PATH}`]: { limit: "settingsPerUser", what: "settings changes" },
  [`PATCH ${PRESENCE_SETTINGS_PATH}`]: { limit: "settingsPerUser", what: "settings changes" },
  // Safety (issue 14): each block appends to the blocker's devices; each report is read by a person.
  "POST /api/users/:id/block": { limit: "settingsPerUser", what: "settings changes" },
  "DELETE /api/users/:id/block": { limit: "settingsPerUser", what: "settings changes" },
  "POST /api/reports": { limit: "reportsPerUser", what: "reports" },
  // Offers (issue 14): each offer or answer writes to both parties, a new offer or counter also a chat message;
  // a listing's edit reaches every conversation about it.
  "POST /api/offers": { limit: "sendPerUser", what: "messages" },
  "POST /api/offers/:id/respond": { limit: "sendPerUser", what: "messages" },
  // A buy and a cancel each post a chat line, push, and announce to every conversation about the item.
  "POST /api/orders": { limit: "settingsPerUser", what: "order changes" },
  "PATCH /api/orders/:id": { limit: "settingsPerUser", what: "order changes" },
  "PATCH /api/items/:id": { limit: "settingsPerUser", what: "listing changes" },
  // Account settings (issue 17): a new name is announced to every conversation of the user.
  "PATCH /api/me": { limit: "settingsPerUser", what: "settings changes" },
};

/** What a client sends because it was sent something, or to keep its stream alive (the socket's `ack` and `heartbeat`). */
export const UPKEEP_ROUTES: ReadonlySet<string> = new Set(["POST /api/sync/ack", `POST ${PING_PATH}`]);

/** Per user: every authenticated request, then the route's own limit if it has one; upkeep on its own budget. */
export async function enforceUserLimits(ctx: Context, req: FastifyRequest, userId: string): Promise<void> {
  const routeKey = `${req.method} ${req.routeOptions.url ?? ""}`;
  if (UPKEEP_ROUTES.has(routeKey)) {
    await ctx.limits.enforceUser(userId, "upkeep");
    await ctx.limits.giveBackIp(ctx.limits.requestsPerIp, req);
    return;
  }
  await ctx.limits.enforceUser(userId);
  const route = ROUTE_LIMITS[routeKey];
  if (route) await ctx.limits[route.limit].enforce(userId, route.what);
}
