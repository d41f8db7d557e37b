import type { FastifyPluginAsync } from "fastify";
import { CourierError, changePasswordSchema, parseInput, passwordProblem, updateMeSchema } from "../../shared/protocol/index.js";
import type { FeatureOptions } from "../context.js";
import { ipKey } from "../http/rate-limit.js";
import { renameUser } from "./accounts.js";
import { requireAuth } from "./authenticate.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { refuseCommonPassword } from "./passwords-common.js";

/** Account settings (issue 17): the display name and the password. Devices are server/devices/routes.ts. */
export const accountRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.patch("/api/me", async (req) => {
    const auth = await requireAuth(ctx, req);
    const { displayName } = parseInput(updateMeSchema, req.body, "body");
    const user = await ctx.storage.write((tx) => renameUser(tx, auth.user.id, displayName, ctx.clock()));
    return { user };
  });

  /**
   * Throttled as sign-in is (per address, and per account and address), since
   * it too tells whether a password is right. On success every other session
   * of the user is revoked and its live connections closed, on every process;
   * this one stays signed in.
   */
  app.post("/api/me/password", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const { limits } = ctx;
    await limits.enforceIp(limits.loginPerIp, req, "password attempts from this address");
    const pairKey = `${auth.user.username.toLowerCase()}|${ipKey(req.ip)}`;
    await limits.loginPerUsernameIp.enforce(pairKey, "password attempts for this account from this address");
    const input = parseInput(changePasswordSchema, req.body, "body");
    const problem = passwordProblem(input.newPassword, auth.user.username);
    if (problem) throw CourierError.badRequest(problem);
    refuseCommonPassword(input.newPassword);
    const stored = await ctx.storage.read(async (r) => r.users.byUsername(auth.user.username));
    // 403, not 401: the session is fine, only the password typed is wrong (a 401 would sign the app out).
    if (!stored || !(await verifyPassword(input.currentPassword, stored.passwordHash))) {
      throw CourierError.forbidden("The current password is wrong.", "wrong_current_password");
    }
    const passwordHash = await hashPassword(input.newPassword);
    const revoked = await ctx.storage.write(async (tx) => {
      await tx.users.setPasswordHash(auth.user.id, passwordHash);
      const others = (await tx.sessions.ofUser(auth.user.id)).filter((id) => id !== auth.sessionId);
      for (const id of others) await tx.sessions.delete(id);
      return others;
    });
    if (revoked.length > 0) ctx.hub.closeEverywhere({ userId: auth.user.id, sessionIds: revoked }, "logout");
    await Promise.all([limits.loginPerUsernameIp.giveBack(pairKey), limits.giveBackIp(limits.loginPerIp, req)]);
    return reply.code(204).send();
  });
};
