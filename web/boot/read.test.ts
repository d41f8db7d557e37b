import "fake-indexeddb/auto";
import { Dexie } from "dexie";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CourierDb, dbNameFor } from "../db/database.js";
import { rememberSession } from "../db/device-db.js";
import type { OutboxRow } from "../db/records.js";
import { summary } from "../db/test-fixtures.js";
import { MemoryStorage } from "../lib/memory-storage.js";
import { BOOT_SCHEMA_VERSION, startBootRead } from "./read.js";

let storage: MemoryStorage;
let userId: string;
const cleanup: string[] = [];

beforeEach(() => {
  storage = new MemoryStorage();
  vi.stubGlobal("localStorage", storage);
  userId = `u-${crypto.randomUUID()}`;
  cleanup.push(dbNameFor(userId));
});

afterEach(async () => {
  vi.unstubAllGlobals();
  for (const name of cleanup.splice(0)) await Dexie.delete(name);
});

const signIn = (id = userId) =>
  rememberSession({ user: { id, username: "me", displayName: "Me", createdAt: 1 } as never, deviceId: "7f0f9a6e-3c1b-4c5e-9a57-0c7d7c1e2a10" });

const queued = (clientMsgId: string, conversationId: string, createdAt: number): OutboxRow =>
  ({ clientMsgId, conversationId, body: clientMsgId, createdAt, status: "sending" }) as OutboxRow;

describe("the boot script's read of the first screen", () => {
  it("reads the signed-in user's list, queued messages oldest first and block list, as the app's database holds them", async () => {
    const db = new CourierDb(userId);
    await db.conversations.bulkPut([summary("c-1"), summary("c-2", { unread: 3 })]);
    await db.outbox.bulkPut([queued("m-late", "c-1", 300), queued("m-early", "c-1", 100), queued("m-other", "c-2", 200)]);
    await db.safety.put({ key: "blocks", userIds: ["u-blocked"] });
    db.close();
    signIn();

    const boot = startBootRead(storage, indexedDB);
    expect(boot?.userId).toBe(userId);
    const snapshot = await boot!.snapshot;
    expect(snapshot).toEqual({
      conversations: [summary("c-1"), summary("c-2", { unread: 3 })],
      outbox: [queued("m-early", "c-1", 100), queued("m-other", "c-2", 200), queued("m-late", "c-1", 300)],
      blocks: { key: "blocks", userIds: ["u-blocked"] },
    });
    // Its connection is closed: the app opens, writes and deletes the database as ever.
    await new CourierDb(userId).delete();
    expect(await Dexie.exists(dbNameFor(userId))).toBe(false);
  });

  it("gives up on a first visit here without creating the database", async () => {
    signIn();
    expect(await startBootRead(storage, indexedDB)!.snapshot).toBeNull();
    expect(await Dexie.exists(dbNameFor(userId))).toBe(false);
  });

  it("gives up on a database of an older schema and leaves it as it was for the app's upgrade", async () => {
    const old = new Dexie(dbNameFor(userId));
    old.version(6).stores({ conversations: "conversationId", outbox: "clientMsgId, conversationId, createdAt", safety: "key" });
    await old.open();
    await old.table("conversations").put(summary("c-1"));
    old.close();
    signIn();

    expect(await startBootRead(storage, indexedDB)!.snapshot).toBeNull();
    const db = new CourierDb(userId);
    await db.open();
    expect(db.verno).toBe(BOOT_SCHEMA_VERSION);
    expect(await db.conversations.toArray()).toEqual([summary("c-1")]);
    db.close();
  });

  it("reads nothing when nobody is signed in here, or a sign-out is still to reach the server", async () => {
    expect(startBootRead(storage, indexedDB)).toBeNull();
    signIn();
    storage.setItem("courier.pendingSignOut", "1"); // session-manager.ts: signed out while offline
    expect(startBootRead(storage, indexedDB)).toBeNull();
    expect(startBootRead(storage, undefined)).toBeNull();
  });

  it("expects the app's newest schema", () => {
    expect(new CourierDb(userId).verno).toBe(BOOT_SCHEMA_VERSION);
  });
});
