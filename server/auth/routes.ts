import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import {
  CourierError,
  loginRequestSchema,
  parseInput,
  registerRequestSchema,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  type User,
  uuidSchema,
} from "../../shared/protocol/index.js";
import type { Context, FeatureOptions } from "../context.js";
import { ipKey } from "../http/rate-limit.js";
import { createSession, createUser } from "./accounts.js";
import { assertSameSite, requireAuth } from "./authenticate.js";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./passwords.js";
import { refuseCommonPassword } from "./passwords-common.js";
import { hashToken, newToken } from "./tokens.js";

/** Starts a session: the token goes back in the body (Bearer clients) and as the cookie (browsers). */
async function startSession(ctx: Context, req: FastifyRequest, reply: FastifyReply, user: User) {
  const token = newToken();
  const now = ctx.clock();
  const header = req.headers["x-device-id"];
  const session = {
    tokenHash: hashToken(token),
    userId: user.id,
    deviceId: uuidSchema.safeParse(header).success ? (header as string) : null,
    at: now,
    expiresAt: now + SESSION_TTL_MS,
  };
  await ctx.storage.write((tx) => createSession(tx, session));
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: "auto",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
  return { user, token };
}

/** Signing in from another site would plant that site's session (login CSRF). */
function refuseForeignOrigin(ctx: Context, req: FastifyRequest): void {
  if (req.headers.origin !== undefined) assertSameSite(ctx, req, req.headers.origin);
}

export const authRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  // Rate limits count attempts before any work (scrypt is the expensive part), bad input included.
  app.post("/api/auth/register", async (req, reply) => {
    refuseForeignOrigin(ctx, req);
    await ctx.limits.enforceIp(ctx.limits.registerPerIp, req, "sign-ups from this address");
    const input = parseInput(registerRequestSchema, req.body, "body");
    refuseCommonPassword(input.password);
    const passwordHash = await hashPassword(input.password);
    const newUser = { username: input.username, displayName: input.displayName ?? input.username, passwordHash, at: ctx.clock() };
    const user = await ctx.storage.write((tx) => createUser(tx, newUser));
    return reply.code(201).send(await startSession(ctx, req, reply, user));
  });

  app.post("/api/auth/login", async (req, reply) => {
    refuseForeignOrigin(ctx, req);
    const { limits } = ctx;
    await limits.enforceIp(limits.loginPerIp, req, "sign-in attempts from this address");
    const input = parseInput(loginRequestSchema, req.body, "body");
    // Per (username, address), never per username alone: someone else's wrong guesses from
    // another address must not lock the owner out. No loopback exemption (ipKey, not clientKey).
    const pairKey = `${input.username.toLowerCase()}|${ipKey(req.ip)}`;
    await limits.loginPerUsernameIp.enforce(pairKey, "sign-in attempts for this account from this address");
    const stored = await ctx.storage.read(async (r) => r.users.byUsername(input.username));
    const ok = await verifyPassword(input.password, stored?.passwordHash ?? (await dummyPasswordHash()));
    if (!stored || !ok) throw CourierError.unauthorized("Wrong username or password.", "wrong_password");
    // A successful sign-in does not count against either limit.
    await Promise.all([limits.loginPerUsernameIp.giveBack(pairKey), limits.giveBackIp(limits.loginPerIp, req)]);
    const user: User = { id: stored.id, username: stored.username, displayName: stored.displayName };
    return reply.send(await startSession(ctx, req, reply, user));
  });

  app.post("/api/auth/logout", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    await ctx.storage.write(async (tx) => tx.sessions.delete(auth.sessionId));
    ctx.hub.closeEverywhere({ userId: auth.user.id, sessionIds: [auth.sessionId] }, "logout");
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.code(204).send();
  });

  app.get("/api/me", async (req) => {
    const auth = await requireAuth(ctx, req);
    return { user: auth.user };
  });
};
