import type { IncomingMessage } from "node:http";
import fastifyCookie from "@fastify/cookie";
import type { ExtendedError, Socket } from "socket.io";
import { CourierError, parseInput, SESSION_COOKIE, socketAuthSchema } from "../../../shared/protocol/index.js";
import { hashToken } from "../../auth/tokens.js";
import { sessionRefusal } from "../../auth/authenticate.js";
import type { Context } from "../../context.js";
import { recordDevice } from "../../devices/register.js";
import { restarting } from "../../http/errors.js";
import { HOST_REFUSED_MESSAGE, isAllowedOrigin, namesForeignHost, ownOriginOf, warnOriginRefused } from "../../http/origin.js";
import { socketClient, warnUntrustedProxy } from "../../http/rate-limit.js";
import { socketError } from "./respond.js";

/** What a socket carries once its handshake is accepted. */
export interface SocketData {
  userId: string;
  deviceId: string;
  sessionId: string;
  /** The session token's hash (never the token), to re-check the session while the socket lives. */
  tokenHash: string;
  /** The client's key for per-address limits (null: exempt, a direct loopback client), charged for every event. */
  addressKey: string | null;
}

/**
 * Engine-level gate, before any socket.io work: every handshake must name an
 * allowed Host (DNS rebinding, see namesForeignHost), and one that carries
 * an Origin must carry an allowed one (a page on another site can open a
 * WebSocket to us and the browser would attach our cookie).
 */
export function allowRequest(ctx: Context) {
  return (req: IncomingMessage, done: (err: string | null | undefined, success: boolean) => void): void => {
    if (namesForeignHost(req, ctx.config, ctx.warnOnce)) {
      done(HOST_REFUSED_MESSAGE, false);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const own = ownOriginOf(req, ctx.config);
      if (!isAllowedOrigin(origin, own, ctx.config.allowedOrigins)) {
        warnOriginRefused(ctx.warnOnce, origin, own);
        done("Origin not allowed", false);
        return;
      }
    }
    done(null, true);
  };
}

function cookieToken(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  return fastifyCookie.parse(header)[SESSION_COOKIE] ?? null;
}

/**
 * A handshake costs what a request costs, in order of cost: a token of the
 * client address's budget (`requestsPerIp`, as every HTTP request pays in
 * onRequest) before anything is read, then, once the session is found, a
 * token of the user's (`requestsPerUser`) before the device is written.
 * socket.io answers /socket.io/ itself, so Fastify's hooks never see these.
 * Refused here, in the middleware (not `allowRequest`), so that the client
 * gets `connect_error` with `{code: "rate_limited", retryAfterMs}`, and
 * every CONNECT packet pays, not only the upgrade that carried the first.
 */
async function authenticate(ctx: Context, socket: Socket): Promise<SocketData> {
  // A process stopping gracefully takes no new connection: the client comes back after the delay, elsewhere.
  if (ctx.draining()) throw restarting();
  const req = socket.request;
  warnUntrustedProxy(req, ctx.config.trustProxy, ctx.warnOnce);
  const addressKey = ctx.limits.clientKey(socketClient(req, ctx.config.trustProxy));
  if (addressKey !== null) await ctx.limits.requestsPerIp.enforce(addressKey, "requests from this address");
  const auth = parseInput(socketAuthSchema, socket.handshake.auth, "auth");
  let token = auth.token ?? null;
  if (token === null) {
    token = cookieToken(req);
    if (token === null) throw CourierError.unauthorized();
    // A cookie-only handshake must prove it comes from our own pages.
    if (req.headers.origin === undefined) throw CourierError.forbidden("A cookie handshake needs an Origin header.");
  }
  const tokenHash = hashToken(token);
  const session = await ctx.storage.read(async (r) => r.sessions.find(tokenHash, ctx.clock()));
  if (!session) throw await sessionRefusal(ctx, tokenHash);
  await ctx.limits.enforceUser(session.user.id);
  await recordDevice(ctx, { userId: session.user.id, deviceId: auth.deviceId, sessionId: session.sessionId, at: ctx.clock() });
  return { userId: session.user.id, deviceId: auth.deviceId, sessionId: session.sessionId, tokenHash, addressKey };
}

/** socket.io middleware: a refused handshake reaches the client as connect_error with `data: {code, message}`. */
export function handshake(ctx: Context) {
  return (socket: Socket, next: (err?: ExtendedError) => void): void => {
    const refuse = (err: unknown) => {
      const { error } = socketError(err);
      const refusal: ExtendedError = new Error(error.message);
      refusal.data = error;
      next(refusal);
    };
    authenticate(ctx, socket).then((data) => {
      // Again now that the awaits are over: a stop begun meanwhile closed the live connections, and socket.io
      // keeps a socket still in its middleware out of the namespace that shutdown walks; nothing runs between
      // this and the socket joining the hub.
      if (ctx.draining()) return refuse(restarting());
      socket.data = data;
      next();
    }, refuse);
  };
}
