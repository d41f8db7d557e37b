import type Database from "better-sqlite3";
import { CourierError } from "../../../shared/protocol/index.js";
import type { DeviceUpsert, StoredDevice, UpsertedDevice } from "../storage.js";

interface DeviceRow {
  id: string;
  user_id: string;
  session_id: string | null;
  capabilities: string;
  user_agent: string | null;
  notification: string | null;
  push: string | null;
  last_seen: number;
}

function toDevice(r: DeviceRow): StoredDevice {
  const notification = r.notification === "granted" || r.notification === "denied" || r.notification === "default" ? r.notification : null;
  return {
    id: r.id,
    userId: r.user_id,
    sessionId: r.session_id,
    userAgent: r.user_agent,
    capabilities: JSON.parse(r.capabilities) as string[],
    notification,
    push: r.push !== null,
    lastSeen: r.last_seen,
  };
}

/** The device registry: which browser profiles a user has and what they can do. */
export class DeviceStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string], DeviceRow>(`SELECT * FROM devices WHERE id = ?`),
      list: db.prepare<[string], DeviceRow>(`SELECT * FROM devices WHERE user_id = ? ORDER BY last_seen DESC`),
      insert: db.prepare(`INSERT INTO devices (id, user_id, session_id, last_seen, at) VALUES (?, ?, ?, ?, ?)`),
      seen: db.prepare(`UPDATE devices SET last_seen = ?, session_id = coalesce(?, session_id) WHERE id = ?`),
      register: db.prepare(
        `UPDATE devices SET protocol = ?, capabilities = ?, user_agent = ?, notification = ?, push = ? WHERE id = ?`,
      ),
      bindSession: db.prepare(`UPDATE sessions SET device_id = ? WHERE id = ?`),
      sessionsOf: db.prepare<[string, string], { id: string }>(`SELECT id FROM sessions WHERE device_id = ? AND user_id = ?`),
      deleteSessions: db.prepare(`DELETE FROM sessions WHERE device_id = ? AND user_id = ?`),
      delete: db.prepare(`DELETE FROM devices WHERE id = ? AND user_id = ?`),
      count: db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM devices WHERE user_id = ?`),
      leastRecent: db.prepare<[string, string, number], { id: string }>(
        `SELECT id FROM devices WHERE user_id = ? AND id != ? ORDER BY last_seen, at, id LIMIT ?`,
      ),
    };
  }

  get(deviceId: string): StoredDevice | null {
    const row = this.s.get.get(deviceId);
    return row ? toDevice(row) : null;
  }

  list(userId: string): StoredDevice[] {
    return this.s.list.all(userId).map(toDevice);
  }

  /**
   * A device id belongs to the first user who used it; anyone else gets 409.
   * A new device beyond `maxDevices` evicts the user's least recently seen ones.
   */
  upsert(input: DeviceUpsert): UpsertedDevice {
    const existing = this.s.get.get(input.deviceId);
    if (existing && existing.user_id !== input.userId) {
      throw CourierError.conflict("This device id belongs to another account; generate a new one.");
    }
    const evicted: string[] = [];
    if (!existing) {
      this.s.insert.run(input.deviceId, input.userId, input.sessionId, input.at, input.at);
      const over = input.maxDevices === undefined ? 0 : this.s.count.get(input.userId)!.n - input.maxDevices;
      for (const { id } of over > 0 ? this.s.leastRecent.all(input.userId, input.deviceId, over) : []) {
        // device_acks go with the row (ON DELETE CASCADE).
        this.s.delete.run(id, input.userId);
        evicted.push(id);
      }
    } else {
      this.s.seen.run(input.at, input.sessionId, input.deviceId);
    }
    if (input.sessionId) this.s.bindSession.run(input.deviceId, input.sessionId);
    const r = input.register;
    if (r) {
      // A registration without `push` keeps the subscription the device has (server/push/ uses it).
      const push = r.push ? JSON.stringify(r.push) : null;
      const keepPush = r.push === undefined ? (existing?.push ?? null) : push;
      this.s.register.run(
        r.protocol,
        JSON.stringify([...new Set(r.capabilities)]),
        r.userAgent ?? null,
        r.notification ?? null,
        keepPush,
        input.deviceId,
      );
    }
    return { device: toDevice(this.s.get.get(input.deviceId)!), evicted };
  }

  /** Records activity (an ack) without changing anything else. */
  touch(deviceId: string, at: number): void {
    this.s.seen.run(at, null, deviceId);
  }

  delete(userId: string, deviceId: string): { sessionIds: string[] } | null {
    const existing = this.s.get.get(deviceId);
    if (!existing || existing.user_id !== userId) return null;
    const sessionIds = this.s.sessionsOf.all(deviceId, userId).map((r) => r.id);
    this.s.deleteSessions.run(deviceId, userId);
    this.s.delete.run(deviceId, userId);
    return { sessionIds };
  }
}
