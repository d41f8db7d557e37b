import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import {
  COMMAND_REPORT_MAX_BYTES,
  commandReportSchema,
  CourierError,
  type Device,
  deviceRegisterSchema,
  idSchema,
  parseInput,
  type TransportName,
  uuidSchema,
} from "../../shared/protocol/index.js";
import { reportCommand, reportTooLarge } from "../admin/commands.js";
import { requireAuth } from "../auth/authenticate.js";
import type { Context, FeatureOptions } from "../context.js";
import { checkEndpointShape, checkKeys, validateSubscription } from "../push/subscription.js";
import type { StoredPushSubscription } from "../storage/push-types.js";
import type { StoredDevice } from "../storage/storage.js";
import { deleteDevice } from "./registry.js";
import { recordDevice } from "./register.js";

const deviceParams = z.object({ deviceId: uuidSchema });
const idParams = z.object({ id: uuidSchema });
const commandParams = z.object({ deviceId: uuidSchema, id: idSchema });

/** A command report's body: the largest report (checked on its own) with room for its status and detail. */
const REPORT_BODY_LIMIT = COMMAND_REPORT_MAX_BYTES + 8 * 1024;

/**
 * What the user sees of their devices: the stored records plus whether each
 * is live right now, on any process (this process's own connections when
 * the others are not known).
 */
export async function publicDevices(ctx: Context, userId: string, devices: StoredDevice[]): Promise<Device[]> {
  const live = await ctx.cluster.liveDevices(userId);
  return devices.map((d) => publicDevice(d, live?.get(d.id) ?? ctx.hub.transportOf(d.userId, d.id)));
}

function publicDevice(d: StoredDevice, transport: TransportName | null): Device {
  return {
    id: d.id,
    userAgent: d.userAgent,
    capabilities: d.capabilities,
    notification: d.notification,
    push: d.push,
    lastSeen: d.lastSeen,
    online: transport !== null,
    transport,
  };
}

/**
 * A subscription must point at a real push service: https, a public host (or
 * one in PUSH_ALLOW_HOSTS), and keys the encryption can use. The host lookup
 * is skipped when the device re-sends the endpoint it already has (every app
 * start does); the sender checks addresses again on every connection anyway.
 */
async function checkSubscription(ctx: Context, deviceId: string, sub: StoredPushSubscription): Promise<void> {
  const known = await ctx.storage.read(async (r) => r.push.subscription(deviceId));
  if (known?.endpoint === sub.endpoint) {
    checkEndpointShape(sub.endpoint, ctx.push.policy);
    checkKeys(sub.keys);
    return;
  }
  await validateSubscription(sub, ctx.push.policy, ctx.push.resolve);
}

/** The device registry: which browser profiles a user has and how to reach them. */
export const deviceRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.put("/api/devices/:deviceId", async (req) => {
    const auth = await requireAuth(ctx, req);
    const { deviceId } = parseInput(deviceParams, req.params, "path");
    const register = parseInput(deviceRegisterSchema, req.body, "body");
    if (register.push) await checkSubscription(ctx, deviceId, register.push);
    const device = await recordDevice(ctx, {
      userId: auth.user.id,
      deviceId,
      sessionId: auth.sessionId,
      at: ctx.clock(),
      register,
    });
    ctx.retransmit.registered(auth.user.id, deviceId, register.capabilities);
    // A browser profile has one subscription; the account that registered it last gets its notifications.
    if (register.push) {
      const endpoint = register.push.endpoint;
      await ctx.storage.write(async (tx) => tx.push.releaseEndpoint(endpoint, deviceId));
    }
    const [shown] = await publicDevices(ctx, auth.user.id, [device]);
    return { device: shown! };
  });

  app.get("/api/devices", async (req) => {
    const auth = await requireAuth(ctx, req);
    const devices = await ctx.storage.read(async (r) => r.devices.list(auth.user.id));
    return { devices: await publicDevices(ctx, auth.user.id, devices) };
  });

  /** Signing a device out revokes the sessions it used and drops its live connections. */
  app.delete("/api/devices/:id", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    const { id } = parseInput(idParams, req.params, "path");
    const removed = await ctx.storage.write((tx) => deleteDevice(tx, auth.user.id, id));
    if (!removed) throw CourierError.notFound("No such device.");
    ctx.hub.closeEverywhere({ userId: auth.user.id, deviceIds: [id], sessionIds: removed.sessionIds }, "device_removed");
    return reply.code(204).send();
  });

  /** A device says how a command went (server/admin/commands.ts); a repeat replaces its earlier report. */
  app.post(
    "/api/devices/:deviceId/commands/:id",
    {
      bodyLimit: REPORT_BODY_LIMIT,
      // Fastify's refusal of a body over this route's limit, in this route's words (the shared handler answers it).
      errorHandler: (err) => {
        throw (err as { code?: unknown }).code === "FST_ERR_CTP_BODY_TOO_LARGE" ? reportTooLarge() : err;
      },
    },
    async (req, reply) => {
      const auth = await requireAuth(ctx, req);
      const { deviceId, id } = parseInput(commandParams, req.params, "path");
      const input = parseInput(commandReportSchema, req.body, "body");
      await ctx.storage.write((tx) => reportCommand(tx, { userId: auth.user.id, sessionId: auth.sessionId }, deviceId, id, input, ctx.clock()));
      return reply.code(204).send();
    },
  );
};
