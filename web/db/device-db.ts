import { Dexie, type EntityTable } from "dexie";
import { userSchema, type User } from "../../shared/protocol/index.js";

interface MetaRow {
  key: string;
  value: unknown;
}

/**
 * The browser profile's own small database, shared by every user who signs
 * in here. It keeps the device id (one per profile, per protocol.md).
 *
 * NOTE: opening IndexedDB costs hundreds of milliseconds on a slow phone, so
 * the device id and the last signed-in user are mirrored in localStorage:
 * the app opens that user's data on its first frame and checks the
 * canonical copy afterwards.
 */
class DeviceDb extends Dexie {
  meta!: EntityTable<MetaRow, "key">;

  constructor() {
    super("courier-device");
    this.version(1).stores({ meta: "key" });
  }
}

let deviceDb: DeviceDb | null = null;
function open(): DeviceDb {
  deviceDb ??= new DeviceDb();
  return deviceDb;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEVICE_KEY = "courier.deviceId";
const USER_KEY = "courier.lastUser";

/** The profile's device id, created on first use. Two tabs racing get the same id. */
export async function getDeviceId(proposed?: string): Promise<string> {
  const db = open();
  const id = await db.transaction("rw", db.meta, async () => {
    const row = await db.meta.get("deviceId");
    if (typeof row?.value === "string" && UUID.test(row.value)) return row.value;
    const fresh = proposed && UUID.test(proposed) ? proposed : crypto.randomUUID();
    await db.meta.put({ key: "deviceId", value: fresh });
    return fresh;
  });
  writeLocal(DEVICE_KEY, id);
  return id;
}

/** The mirrored device id, synchronously; null on first visit or without localStorage. */
export function cachedDeviceId(): string | null {
  const id = readLocal(DEVICE_KEY);
  return id && UUID.test(id) ? id : null;
}

/** Who signed in last on this profile, synchronously. */
export function cachedLastUser(): User | null {
  const text = readLocal(USER_KEY);
  if (!text) return null;
  try {
    const parsed = userSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function setLastUser(user: User | null): void {
  if (user) writeLocal(USER_KEY, JSON.stringify(user));
  else removeLocal(USER_KEY);
}

// NOTE: localStorage throws in some privacy modes and when storage is full;
// the app then works without the fast path.
function readLocal(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function writeLocal(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // see NOTE above
  }
}
function removeLocal(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // see NOTE above
  }
}
