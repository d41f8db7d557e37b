import type { FastifyRequest } from "fastify";
import { CourierError, SESSION_COOKIE, type User, uuidSchema } from "../../shared/protocol/index.js";
import type { Context } from "../context.js";
import { isAllowedOrigin, ownOriginOf, STATE_CHANGING, warnOriginRefused } from "../http/origin.js";
import { enforceUserLimits } from "../http/request-limits.js";
import { hashToken } from "./tokens.js";

export interface Auth {
  user: User;
  sessionId: string;
  via: "bearer" | "cookie";
  /** From X-Device-Id, when the client sent a well-formed one. */
  deviceId: string | null;
}

/** The token a request presents: Bearer wins over the cookie. */
export function presentedToken(req: FastifyRequest): { token: string; via: Auth["via"] } | null {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_\-.~+/=]{1,200})$/.exec(header.trim());
    if (!match) throw CourierError.unauthorized("Malformed Authorization header; use Bearer <token>.");
    return { token: match[1]!, via: "bearer" };
  }
  const cookie = req.cookies[SESSION_COOKIE];
  return cookie ? { token: cookie, via: "cookie" } : null;
}

/** The stored form of the token a request presents, if any. */
export function presentedHash(req: FastifyRequest): string | null {
  const presented = presentedToken(req);
  return presented ? hashToken(presented.token) : null;
}

/** A session that was valid when a connection opened and is gone now (signed out, expired). */
export const sessionEnded = () => CourierError.unauthorized("Your session has ended; sign in again.", "session_ended");
const signedOutByAdmin = () => CourierError.unauthorized("An administrator signed this device out; sign in again.", "signed_out_by_admin");

/**
 * The 401 for a token that no longer opens a session: `signed_out_by_admin`
 * when an administrator's `sign_out` revoked it and it would not have expired
 * yet, so a device that was offline then, or between two long-polls, still
 * learns why (the app then drops the history as that command does), else
 * `otherwise` (expired, signed out, never valid).
 */
export async function sessionRefusal(ctx: Context, tokenHash: string | null, otherwise: () => CourierError = () => CourierError.unauthorized()): Promise<CourierError> {
  if (tokenHash === null) return otherwise();
  // The session is gone either way: a storage that fails now costs the reason, never the 401 (nor the socket's close).
  const revokedBy = await ctx.storage.read(async (r) => r.sessions.revokedBy(tokenHash, ctx.clock())).catch(() => null);
  return revokedBy !== null ? signedOutByAdmin() : otherwise();
}

/** Refuses a request from another site; no Origin at all counts as refused here. */
export function assertSameSite(ctx: Context, req: FastifyRequest, origin: string | undefined): void {
  const own = ownOriginOf(req.raw, ctx.config);
  if (!origin || !isAllowedOrigin(origin, own, ctx.config.allowedOrigins)) {
    if (origin) warnOriginRefused(ctx.warnOnce, origin, own);
    throw CourierError.forbidden("This request must come from the Courier app's own origin.");
  }
}

export async function authenticate(ctx: Context, req: FastifyRequest): Promise<Auth | null> {
  const presented = presentedToken(req);
  if (!presented) return null;
  const session = await ctx.storage.read(async (r) => r.sessions.find(hashToken(presented.token), ctx.clock()));
  if (!session) return null;
  const header = req.headers["x-device-id"];
  const deviceId = typeof header === "string" && uuidSchema.safeParse(header).success ? header : null;
  return { user: session.user, sessionId: session.sessionId, via: presented.via, deviceId };
}

/**
 * Every authenticated route starts here. A cookie-authenticated request that
 * changes state must carry an allowed Origin (CSRF); Bearer tokens cannot be
 * attached by another site, so they need none. Then the per-user limits
 * (http/request-limits.ts), never exempt, loopback included.
 */
export async function requireAuth(ctx: Context, req: FastifyRequest): Promise<Auth> {
  const auth = await authenticate(ctx, req);
  if (!auth) throw await sessionRefusal(ctx, presentedHash(req));
  await enforceUserLimits(ctx, req, auth.user.id);
  if (auth.via === "cookie" && STATE_CHANGING.has(req.method)) assertSameSite(ctx, req, req.headers.origin);
  // Any request the device makes shows it is alive (SSE streams opened with hb=1 watch for it).
  if (auth.deviceId) ctx.hub.touch(auth.user.id, auth.deviceId);
  return auth;
}

/**
 * A request that names a device of another account is refused: a browser
 * profile whose shared cookie now belongs to someone else (another tab signed
 * in) must never receive that account's data under its own device id.
 */
export async function assertOwnDevice(ctx: Context, auth: Auth): Promise<void> {
  if (!auth.deviceId) return;
  const device = await ctx.sync.getDevice(auth.deviceId);
  if (device && device.userId !== auth.user.id) {
    throw CourierError.conflict("This device is signed in to another account.", "device_other_account");
  }
}

/**
 * SSE and long-poll are GETs, yet they register the device and a poll acks,
 * so a cookie-authenticated one must not be started by another site.
 * NOTE: EventSource and fetch send no Origin on same-origin GETs, so only a
 * present Origin is checked; without one, Fetch Metadata still tells a
 * navigation or subresource load from another site (`Sec-Fetch-Site`).
 * Bearer tokens cannot be attached by another site and need neither.
 */
export function assertNotCrossSite(ctx: Context, req: FastifyRequest, auth: Auth): void {
  if (auth.via !== "cookie") return;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    assertSameSite(ctx, req, origin);
    return;
  }
  const site = req.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") {
    throw CourierError.forbidden("This request must come from the Courier app's own origin.");
  }
}
