/**
 * The first screen's data, read from the signed-in user's IndexedDB while the
 * app's scripts are still being fetched and compiled (issue 16, cold start).
 *
 * web/boot/boot.ts runs this as a classic script of its own in <head> (built
 * as its own entry, named by index.html: vite.config.ts `bootScript`), so it
 * must import nothing at run time: an `import` would make it a module of the
 * app's chunks. The app (web/boot/snapshot.ts) shows what it read until its
 * own Dexie queries answer, and uses Dexie for everything after.
 *
 * It never creates, upgrades or writes a database: without a version,
 * `indexedDB.open` on a profile that has none would create an empty one, so
 * the upgrade it would start is aborted; a database on another schema than
 * the app's is left alone. Any of that, a signed-out profile, blocked
 * storage, or an error: no snapshot, and the app goes the usual way.
 */

/** CourierDb's newest schema version (web/db/database.ts; read.test.ts checks they agree). Dexie opens version × 10. */
export const BOOT_SCHEMA_VERSION = 7;

/** web/db/device-db.ts's session entry and session-manager.ts's offline sign-out mark (read.test.ts goes through them). */
const SESSION_KEY = "courier.lastSession";
const PENDING_SIGN_OUT_KEY = "courier.pendingSignOut";
const STORES = ["conversations", "outbox", "safety"];

/** As stored (web/db/records.ts: StoredSummary, OutboxRow by `createdAt`; the safety table's "blocks" row). */
export interface BootSnapshot {
  conversations: unknown[];
  outbox: unknown[];
  blocks: unknown;
}

export interface BootRead {
  userId: string;
  snapshot: Promise<BootSnapshot | null>;
}

/** Starts reading the last signed-in user's first screen; null when nobody is signed in here (or storage is blocked). */
export function startBootRead(storage: Pick<Storage, "getItem">, idb: IDBFactory | undefined): BootRead | null {
  let userId: unknown;
  try {
    if (!idb || storage.getItem(PENDING_SIGN_OUT_KEY) === "1") return null;
    const raw = JSON.parse(storage.getItem(SESSION_KEY) ?? "null") as { user?: { id?: unknown } } | null;
    userId = raw?.user?.id;
  } catch {
    return null;
  }
  if (typeof userId !== "string" || userId === "") return null;
  return { userId, snapshot: readSnapshot(idb, `courier-${userId}`) };
}

function readSnapshot(idb: IDBFactory, name: string): Promise<BootSnapshot | null> {
  return new Promise((resolve) => {
    let request: IDBOpenDBRequest;
    try {
      request = idb.open(name);
    } catch {
      resolve(null);
      return;
    }
    // No database yet (a first visit, or it was deleted): aborting the upgrade leaves none behind.
    request.onupgradeneeded = () => request.transaction?.abort();
    request.onerror = (event) => {
      event.preventDefault();
      resolve(null);
    };
    request.onblocked = () => resolve(null);
    request.onsuccess = () => {
      const db = request.result;
      // Never in the way of the app's own upgrade.
      db.onversionchange = () => db.close();
      // Closing lets a transaction still running finish; resolving twice keeps the first value.
      const finish = (value: BootSnapshot | null) => {
        db.close();
        resolve(value);
      };
      if (db.version !== BOOT_SCHEMA_VERSION * 10 || !STORES.every((store) => db.objectStoreNames.contains(store))) {
        finish(null);
        return;
      }
      try {
        const tx = db.transaction(STORES, "readonly");
        const conversations = tx.objectStore("conversations").getAll();
        const outbox = tx.objectStore("outbox").index("createdAt").getAll();
        const blocks = tx.objectStore("safety").get("blocks");
        // Requests in one transaction succeed in order: at the last one's success all three are read (no wait for the
        // transaction's complete event: each event is a task of its own on a main thread busy compiling the app).
        blocks.onsuccess = () => finish({ conversations: conversations.result, outbox: outbox.result, blocks: blocks.result ?? null });
        tx.onabort = () => finish(null);
      } catch {
        finish(null);
      }
    };
  });
}
