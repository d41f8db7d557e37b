import { Dexie, type EntityTable } from "dexie";
import { userSchema, type User } from "../../shared/protocol/index.js";

interface MetaRow {
  key: string;
  value: unknown;
}

/**
 * The browser profile's own small database, shared by every user who signs
 * in here. It holds the device ids.
 *
 * protocol.md gives each browser profile a device id; the server lets an id
 * belong to one account only (another account using it gets `409`). So the
 * profile's id goes to the first user who signs in here, and anyone else
 * signing in on the same profile gets an id of their own, kept for next time.
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
const isUuid = (v: unknown): v is string => typeof v === "string" && UUID.test(v);

/** This user's device id on this profile, created (or the profile's claimed) on first use. */
export async function deviceIdFor(userId: string): Promise<string> {
  const db = open();
  return db.transaction("rw", db.meta, async () => {
    const own = await db.meta.get(`device:${userId}`);
    if (isUuid(own?.value)) return own.value;
    const profile = await db.meta.get("profileDevice");
    const claim = profile?.value as { id?: unknown; owner?: unknown } | undefined;
    let id: string;
    if (!claim || !isUuid(claim.id)) {
      id = crypto.randomUUID();
      await db.meta.put({ key: "profileDevice", value: { id, owner: userId } });
    } else if (claim.owner === undefined || claim.owner === userId) {
      id = claim.id;
      await db.meta.put({ key: "profileDevice", value: { id, owner: userId } });
    } else {
      id = crypto.randomUUID();
    }
    await db.meta.put({ key: `device:${userId}`, value: id });
    return id;
  });
}

/** The server refused our id (`409`): this user gets a fresh one. */
export async function rotateDeviceId(userId: string): Promise<string> {
  const id = crypto.randomUUID();
  await open().meta.put({ key: `device:${userId}`, value: id });
  return id;
}

// ── fast path ───────────────────────────────────────────────────────────────
// NOTE: opening IndexedDB costs hundreds of milliseconds on a slow phone, so
// who signed in last (and their device id) is mirrored in localStorage: the
// app opens that user's data on its first frame and checks with the server
// afterwards. localStorage may throw (privacy modes, full storage); the app
// then simply works without the fast path.

const SESSION_KEY = "courier.lastSession";

export interface CachedSession {
  user: User;
  deviceId: string;
}

export function cachedSession(): CachedSession | null {
  try {
    const raw = JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null") as { user?: unknown; deviceId?: unknown } | null;
    const user = userSchema.safeParse(raw?.user);
    return user.success && isUuid(raw?.deviceId) ? { user: user.data, deviceId: raw.deviceId } : null;
  } catch {
    return null;
  }
}

export function rememberSession(session: CachedSession | null): void {
  try {
    if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
    else localStorage.removeItem(SESSION_KEY);
  } catch {
    // see NOTE above
  }
}
