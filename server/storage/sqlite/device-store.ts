import type Database from "better-sqlite3";
import type { DeviceRegister } from "../../../shared/protocol/index.js";
import type { StoredPushSubscription } from "../push-types.js";
import { type DeviceRow, toDevice } from "../rows.js";
import type { DeviceRepo, StoredDevice } from "../tx.js";

/** The device registry: which browser profiles a user has and what they can do. */
export class DeviceStore implements DeviceRepo {
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
      registerKeepPush: db.prepare(`UPDATE devices SET protocol = ?, capabilities = ?, user_agent = ?, notification = ? WHERE id = ?`),
      delete: db.prepare(`DELETE FROM devices WHERE id = ? AND user_id = ?`),
      count: db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM devices WHERE user_id = ?`),
      leastRecent: db.prepare<[string, string, number], { id: string }>(
        `SELECT id FROM devices WHERE user_id = ? AND id != ? ORDER BY last_seen, at, id LIMIT +?`,
      ),
      existingAmong: db.prepare<[string], { id: string }>(`SELECT id FROM devices WHERE id IN (SELECT value FROM json_each(?))`),
    };
  }

  get(deviceId: string): StoredDevice | null {
    const row = this.s.get.get(deviceId);
    return row ? toDevice(row) : null;
  }

  /** The whole database is locked by the write transaction already. */
  lock(deviceId: string): StoredDevice | null {
    return this.get(deviceId);
  }

  list(userId: string): StoredDevice[] {
    return this.s.list.all(userId).map(toDevice);
  }

  insert(d: { id: string; userId: string; sessionId: string | null; at: number }): void {
    this.s.insert.run(d.id, d.userId, d.sessionId, d.at, d.at);
  }

  seen(deviceId: string, at: number, sessionId: string | null): void {
    this.s.seen.run(at, sessionId, deviceId);
  }

  register(deviceId: string, r: DeviceRegister, push: StoredPushSubscription | null | "keep"): void {
    const fields = [r.protocol, JSON.stringify([...new Set(r.capabilities)]), r.userAgent ?? null, r.notification ?? null] as const;
    if (push === "keep") this.s.registerKeepPush.run(...fields, deviceId);
    else this.s.register.run(...fields, push === null ? null : JSON.stringify(push), deviceId);
  }

  count(userId: string): number {
    return this.s.count.get(userId)!.n;
  }

  leastRecent(userId: string, exceptId: string, n: number): string[] {
    return this.s.leastRecent.all(userId, exceptId, n).map((r) => r.id);
  }

  /** device_acks go with the row (ON DELETE CASCADE). */
  delete(userId: string, deviceId: string): boolean {
    return this.s.delete.run(deviceId, userId).changes > 0;
  }

  existingAmong(ids: readonly string[]): string[] {
    return this.s.existingAmong.all(JSON.stringify(ids)).map((r) => r.id);
  }
}
