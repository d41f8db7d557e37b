import { Dexie, type EntityTable } from "dexie";
import { userSchema, type User } from "../../shared/protocol/index.js";

interface MetaRow {
  key: string;
  value: unknown;
}

/**
 * The browser profile's own small database, shared by every user who signs
 * in here: the device id (one per profile, per protocol.md) and who signed
 * in last, so the app can open that user's data before the network answers.
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

/** The profile's device id, created on first use. Two tabs racing get the same id. */
export async function getDeviceId(): Promise<string> {
  const db = open();
  return db.transaction("rw", db.meta, async () => {
    const row = await db.meta.get("deviceId");
    if (typeof row?.value === "string" && UUID.test(row.value)) return row.value;
    const id = crypto.randomUUID();
    await db.meta.put({ key: "deviceId", value: id });
    return id;
  });
}

export async function getLastUser(): Promise<User | null> {
  const row = await open().meta.get("lastUser");
  const parsed = userSchema.safeParse(row?.value);
  return parsed.success ? parsed.data : null;
}

export async function setLastUser(user: User | null): Promise<void> {
  if (user) await open().meta.put({ key: "lastUser", value: user });
  else await open().meta.delete("lastUser");
}
