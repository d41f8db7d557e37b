import type { DeviceRegister } from "../../shared/protocol/index.js";
import { CourierError } from "../../shared/protocol/index.js";
import type { Repos, StoredDevice } from "../storage/storage.js";

export interface DeviceUpsert {
  userId: string;
  deviceId: string;
  /** The session that spoke for the device, so signing the device out can revoke it. */
  sessionId: string | null;
  at: number;
  /** Absent: only record that the device was seen. */
  register?: DeviceRegister;
  /**
   * At most this many devices per user. A new device beyond the cap makes the
   * user's least recently seen other devices be forgotten (rows and acks; their
   * sessions stay valid, so such a browser simply registers again). Refusing
   * instead would lock out a user whose browser profiles churn.
   */
  maxDevices?: number;
}

/**
 * A device id belongs to the first user who used it; anyone else gets 409.
 * Returns the device and the ids of devices forgotten to stay within the cap.
 */
export async function upsertDevice(r: Repos, input: DeviceUpsert): Promise<{ device: StoredDevice; evicted: string[] }> {
  const existing = await r.devices.lock(input.deviceId);
  if (existing && existing.userId !== input.userId) {
    throw CourierError.conflict("This device id belongs to another account; generate a new one.");
  }
  const evicted: string[] = [];
  if (!existing) {
    // Locked: two new devices of one user at once take turns, so the cap holds and each eviction is counted once.
    await r.users.lock(input.userId);
    await r.devices.insert({ id: input.deviceId, userId: input.userId, sessionId: input.sessionId, at: input.at });
    const over = input.maxDevices === undefined ? 0 : (await r.devices.count(input.userId)) - input.maxDevices;
    for (const id of over > 0 ? await r.devices.leastRecent(input.userId, input.deviceId, over) : []) {
      await r.devices.delete(input.userId, id);
      evicted.push(id);
    }
  } else {
    await r.devices.seen(input.deviceId, input.at, input.sessionId);
  }
  if (input.sessionId) await r.sessions.bindDevice(input.sessionId, input.deviceId);
  const reg = input.register;
  // A registration without `push` keeps the subscription the device has (server/push/ uses it).
  if (reg) await r.devices.register(input.deviceId, reg, reg.push === undefined ? "keep" : reg.push);
  return { device: (await r.devices.get(input.deviceId))!, evicted };
}

/** Removes the device and the sessions it used; returns those session ids (null: not the user's device). */
export async function deleteDevice(r: Repos, userId: string, deviceId: string): Promise<{ sessionIds: string[] } | null> {
  // The device before its sessions, as a handshake recording the device does (no deadlock between them).
  const existing = await r.devices.lock(deviceId);
  if (!existing || existing.userId !== userId) return null;
  const sessionIds = await r.sessions.ofDevice(userId, deviceId);
  await r.sessions.deleteOfDevice(userId, deviceId);
  await r.devices.delete(userId, deviceId);
  return { sessionIds };
}
