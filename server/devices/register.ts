import type { Context } from "../context.js";
import type { StoredDevice } from "../storage/storage.js";
import { type DeviceUpsert, upsertDevice } from "./registry.js";

/**
 * Records a device (HTTP registration or a socket handshake) under the
 * per-user cap. Devices forgotten to make room lose their live connections,
 * as if signed out; their sessions stay, so they can register again.
 */
export async function recordDevice(ctx: Context, input: Omit<DeviceUpsert, "maxDevices">): Promise<StoredDevice> {
  const { device, evicted } = await ctx.storage.write((tx) => upsertDevice(tx, { ...input, maxDevices: ctx.config.maxDevicesPerUser }));
  if (evicted.length > 0) {
    ctx.hub.closeEverywhere({ userId: input.userId, deviceIds: evicted }, "device_removed");
  }
  return device;
}
