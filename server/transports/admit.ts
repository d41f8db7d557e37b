import type { FastifyRequest } from "fastify";
import type { z } from "zod";
import { type Hello, parseInput, type TransportName, type Versions } from "../../shared/protocol/index.js";
import { assertNotCrossSite, type Auth, authenticate, requireAuth } from "../auth/authenticate.js";
import type { Context } from "../context.js";
import { recordDevice } from "../devices/register.js";

/**
 * The door of the HTTP transports (SSE and long-poll), in the order a client
 * needs the answers: 401 (who are you), 403 (from another site), 400 (bad
 * query), 409 (another account's device). All of it happens before a stream
 * starts, so every refusal is an ordinary JSON error.
 */
export async function admit<S extends z.ZodType<{ device: string }>>(
  ctx: Context,
  req: FastifyRequest,
  schema: S,
): Promise<{ auth: Auth; query: z.output<S> }> {
  const auth = await requireAuth(ctx, req);
  assertNotCrossSite(ctx, req, auth);
  const query = parseInput(schema, req.query, "query");
  await recordDevice(ctx, { userId: auth.user.id, deviceId: query.device, sessionId: auth.sessionId, at: ctx.clock() });
  return { auth, query };
}

/**
 * Whether the session that opened a connection still exists. A logout on
 * another server process, an expiry, or a logout racing the registration
 * with the hub reaches a connection only through this check.
 */
export async function sessionAlive(ctx: Context, req: FastifyRequest, auth: Auth): Promise<boolean> {
  return (await authenticate(ctx, req))?.sessionId === auth.sessionId;
}

/** The hello of every transport: who, the heads, and the server's settings a client follows. */
export function helloFor(ctx: Context, userId: string, deviceId: string, heads: Versions, transport: TransportName): Hello {
  const { ringCapacity: ring, heartbeatMs, recallWindowMs } = ctx.config;
  return { userId, deviceId, heads, ring, heartbeatMs, transport, recallWindowMs };
}
