import type { DeviceRegister } from "../../../shared/protocol/index.js";
import type { StoredPushSubscription } from "../push-types.js";
import { type DeviceRow, toDevice } from "../rows.js";
import type { DeviceRepo, StoredDevice } from "../tx.js";
import { type Db, first, prepared } from "./db.js";

const DEVICE_COLUMNS = `id, user_id, session_id, capabilities, user_agent, notification, push, last_seen, at`;

/** The device registry. A subscription is stored as JSON, its endpoint beside it for lookups by endpoint. */
export class PgDevices implements DeviceRepo {
  constructor(private readonly db: Db) {}

  get(deviceId: string, lock = ""): Promise<StoredDevice | null> {
    return first(this.db, prepared(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1${lock}`), [deviceId], toDevice);
  }

  lock(deviceId: string): Promise<StoredDevice | null> {
    return this.get(deviceId, this.db.forUpdate);
  }

  async list(userId: string): Promise<StoredDevice[]> {
    const { rows } = await this.db.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY last_seen DESC`, [
      userId,
    ]);
    return rows.map(toDevice);
  }

  async insert(d: { id: string; userId: string; sessionId: string | null; at: number }): Promise<void> {
    await this.db.query(`INSERT INTO devices (id, user_id, session_id, last_seen, at) VALUES ($1, $2, $3, $4, $4)`, [
      d.id,
      d.userId,
      d.sessionId,
      d.at,
    ]);
  }

  async seen(deviceId: string, at: number, sessionId: string | null): Promise<void> {
    await this.db.query(prepared(`UPDATE devices SET last_seen = $2, session_id = coalesce($3, session_id) WHERE id = $1`), [deviceId, at, sessionId]);
  }

  async register(deviceId: string, r: DeviceRegister, push: StoredPushSubscription | null | "keep"): Promise<void> {
    const values: unknown[] = [deviceId, r.protocol, JSON.stringify([...new Set(r.capabilities)]), r.userAgent ?? null, r.notification ?? null];
    if (push === "keep") {
      await this.db.query(`UPDATE devices SET protocol = $2, capabilities = $3, user_agent = $4, notification = $5 WHERE id = $1`, values);
      return;
    }
    await this.db.query(
      `UPDATE devices SET protocol = $2, capabilities = $3, user_agent = $4, notification = $5, push = $6, push_endpoint = $7 WHERE id = $1`,
      [...values, push === null ? null : JSON.stringify(push), push?.endpoint ?? null],
    );
  }

  async count(userId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(`SELECT count(*) AS n FROM devices WHERE user_id = $1`, [userId]);
    return rows[0]?.n ?? 0;
  }

  async leastRecent(userId: string, exceptId: string, n: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM devices WHERE user_id = $1 AND id <> $2 ORDER BY last_seen, at, id LIMIT $3`,
      [userId, exceptId, n],
    );
    return rows.map((r) => r.id);
  }

  /** Its acks go with it (ON DELETE CASCADE). */
  async delete(userId: string, deviceId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM devices WHERE id = $1 AND user_id = $2`, [deviceId, userId]);
    return (rowCount ?? 0) > 0;
  }

  async existingAmong(ids: readonly string[]): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM devices WHERE id = ANY($1::text[])`, [ids]);
    return rows.map((r) => r.id);
  }
}
