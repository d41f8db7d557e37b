import { Dexie, type EntityTable } from "dexie";
import { userSchema, type User } from "../../shared/protocol/index.js";
import { FIRST_PAINT_KEY, savedPaintIsFor } from "../boot/first-paint.js";

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
    if (session) {
      localStorage.setItem(SESSION_KEY, JSON.stringify({ ...session, at: Date.now() }));
      // Another account's list as last drawn (web/boot/first-paint.ts) never stays beside this one's session.
      if (!savedPaintIsFor(localStorage.getItem(FIRST_PAINT_KEY), session.user.id)) localStorage.removeItem(FIRST_PAINT_KEY);
    } else {
      localStorage.removeItem(SESSION_KEY);
      // The list as last drawn (web/boot/first-paint.ts) goes with the session: nothing of theirs is left behind.
      localStorage.removeItem(FIRST_PAINT_KEY);
    }
    unsure = false;
  } catch {
    // see NOTE above; this page can no longer tell who is signed in here (profileUser)
    unsure = true;
  }
}

// ── who is signed in on this profile ────────────────────────────────────────
// The same entry tells every tab which account the shared cookie is for: it
// is written at sign-in and removed when that session ends. It is read
// synchronously, so a tab that was frozen sees another tab's sign-in before
// it sends anything (outbox-sender.ts), even before any tab message reaches it.

/** This page failed to write the entry: what storage says may be stale. */
let unsure = false;

/** The account signed in on this profile; null when nobody is, undefined when this page cannot tell (no storage, or writing it failed here). */
export function profileUser(): string | null | undefined {
  return unsure ? undefined : stored()?.userId;
}

/** `userId` signed in here (again) after `time` (epoch ms): news older than that is stale. */
export function signedInAfter(userId: string, time: number): boolean {
  const entry = stored();
  return entry?.userId === userId && entry.at > time;
}

/** `userId`'s session ended: forget it, unless this profile has moved on to another account (a tab that woke late). */
export function forgetSession(userId: string): void {
  if (stored()?.userId === userId) rememberSession(null);
}

function stored(): { userId: string | null; at: number } | undefined {
  try {
    const raw = JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null") as { user?: { id?: unknown }; at?: unknown } | null;
    return { userId: typeof raw?.user?.id === "string" ? raw.user.id : null, at: typeof raw?.at === "number" ? raw.at : 0 };
  } catch {
    return undefined;
  }
}
