import "fake-indexeddb/auto";
import { Dexie } from "dexie";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CourierDb, dbNameFor } from "../db/database.js";
import { rememberSession } from "../db/device-db.js";
import type { OutboxRow } from "../db/records.js";
import { summary } from "../db/test-fixtures.js";
import { MemoryStorage } from "../lib/memory-storage.js";
import { FIRST_PAINT_KEY, LIST_STAMP_KEY, STAMPED_WRITE, blockedIdsOf, dataKey, drawnFrom, paintFor, parseSavedPaint, screenBottom, type PaintContext, type SavedPaint } from "./first-paint.js";
import { stampListWrites } from "./save-first-paint.js";
import { startBootRead } from "./read.js";
import { listedConversations, listedOutbox } from "../features/conversations/conversation-list.js";

let storage: MemoryStorage;
let userId: string;

beforeEach(() => {
  storage = new MemoryStorage();
  vi.stubGlobal("localStorage", storage);
  userId = `u-${crypto.randomUUID()}`;
});

afterEach(async () => {
  vi.unstubAllGlobals();
  await Dexie.delete(dbNameFor(userId));
});

const signIn = () =>
  rememberSession({ user: { id: userId, username: "me", displayName: "Me", createdAt: 1 } as never, deviceId: "7f0f9a6e-3c1b-4c5e-9a57-0c7d7c1e2a10" });

const queued = (clientMsgId: string, conversationId: string, createdAt: number): OutboxRow =>
  ({ clientMsgId, conversationId, body: clientMsgId, createdAt, status: "sending" }) as OutboxRow;

/** What the conversation list draws from: its own queries (conversation-list.tsx; the blocks as blocks.ts reads them). */
async function listKey(db: CourierDb): Promise<string> {
  const blocks = await db.safety.get("blocks");
  return dataKey(await listedConversations(db), await listedOutbox(db), new Set(blocks?.userIds ?? []));
}

/** What the boot script holds a saved paint against: its own read (read.ts). */
async function bootKey(): Promise<string> {
  const snapshot = (await startBootRead(storage, indexedDB)!.snapshot)!;
  return dataKey(snapshot.conversations, snapshot.outbox, blockedIdsOf(snapshot.blocks));
}

describe("the first paint's data key", () => {
  it("is the same from the list's queries and the boot script's read, and changes with anything the list shows", async () => {
    const db = new CourierDb(userId);
    await db.conversations.bulkPut([summary("c-2", { unread: 3 }), summary("c-1")]);
    await db.outbox.bulkPut([queued("m-late", "c-1", 300), queued("m-early", "c-1", 100)]);
    await db.safety.put({ key: "blocks", userIds: ["u-b", "u-a"] });
    signIn();
    const drawn = await listKey(db);
    expect(await bootKey()).toBe(drawn);

    // A read marker, a queued message, a block: each is something the list would draw differently.
    await db.conversations.update("c-2", { unread: 0 });
    const read = await listKey(db);
    expect(read).not.toBe(drawn);
    expect(await bootKey()).toBe(read);
    await db.outbox.put(queued("m-new", "c-2", 400));
    expect(await listKey(db)).not.toBe(read);
    const queuedKey = await listKey(db);
    await db.safety.put({ key: "blocks", userIds: ["u-a", "u-b", "u-c"] });
    expect(await listKey(db)).not.toBe(queuedKey);
    expect(await bootKey()).toBe(await listKey(db));
    db.close();
  });

  it("does not depend on the order or repeats of the blocked ids", () => {
    expect(dataKey([], [], ["b", "a", "b"])).toBe(dataKey([], [], new Set(["a", "b"])));
    expect(dataKey([], [], ["a"])).not.toBe(dataKey([], [], ["a", "b"]));
    expect(blockedIdsOf({ key: "blocks", userIds: ["a", 1, null] })).toEqual(["a"]);
    expect(blockedIdsOf(null)).toEqual([]);
  });
});

const saved = (over: Partial<SavedPaint> = {}): SavedPaint => ({
  v: 1,
  userId: "u-1",
  data: dataKey([summary("c-1")], [], []),
  stamp: "",
  build: "",
  language: "en",
  locale: "en-US",
  folder: "",
  words: { now: "now", minutes: ["", "1 min"], yesterday: "Yesterday" },
  tree: ["div", { class: "shell" }, "Chats"],
  ...over,
});

const context = (over: Partial<PaintContext> = {}): PaintContext => ({
  userId: "u-1",
  language: "en",
  locale: "en-US",
  folder: "",
  onList: true,
  ...over,
});

describe("whether a saved paint is shown", () => {
  it("is for the same user, language, locale and folder, on the list", () => {
    expect(paintFor(saved(), context())).toEqual(saved());
    expect(paintFor(null, context())).toBeNull();
    expect(paintFor(saved(), context({ userId: "u-2" }))).toBeNull();
    expect(paintFor(saved(), context({ language: "zh" }))).toBeNull();
    expect(paintFor(saved(), context({ locale: "en-GB" }))).toBeNull();
    expect(paintFor(saved(), context({ folder: "unread" }))).toBeNull();
    expect(paintFor(saved(), context({ onList: false }))).toBeNull();
  });

  it("agrees with the boot read only if the list would draw the same data", () => {
    expect(drawnFrom(saved(), { conversations: [summary("c-1")], outbox: [], blocks: null })).toBe(true);
    expect(drawnFrom(saved(), { conversations: [summary("c-1", { unread: 1 })], outbox: [], blocks: null })).toBe(false);
    expect(drawnFrom(saved(), { conversations: [summary("c-1")], outbox: [], blocks: { key: "blocks", userIds: ["x"] } })).toBe(false);
    expect(drawnFrom(saved(), { conversations: [], outbox: [], blocks: null })).toBe(false);
  });

  it("is stamped anew by every committed write to the list's stores, and by no other", async () => {
    stampListWrites(storage);
    const db = new CourierDb(userId);
    const stamp = () => storage.getItem(LIST_STAMP_KEY);
    await db.conversations.put(summary("c-1"));
    const first = stamp();
    expect(first).not.toBeNull();
    await db.outbox.put(queued("m-1", "c-1", 1));
    const second = stamp();
    expect(second).not.toBe(first);
    await db.safety.put({ key: "blocks", userIds: [] });
    expect(stamp()).not.toBe(second);
    const third = stamp();
    await db.drafts.put({ conversationId: "c-1", text: "hi", at: 1 } as never);
    expect(stamp()).toBe(third);
    // A transaction that fails writes nothing, and stamps nothing.
    await db.transaction("rw", db.conversations, async () => {
      await db.conversations.put(summary("c-2"));
      throw new Error("no");
    }).catch(() => {});
    expect(stamp()).toBe(third);
    db.close();
    expect(STAMPED_WRITE.test("idb://courier-u-1/messages/")).toBe(false);
  });

  it("reads only a saved paint of its own shape: anything else is no paint", () => {
    expect(parseSavedPaint(JSON.stringify(saved()))).toEqual(saved());
    for (const raw of [
      null,
      "",
      "{",
      "null",
      "[]",
      JSON.stringify({ ...saved(), v: 2 }),
      JSON.stringify({ ...saved(), userId: 1 }),
      JSON.stringify({ ...saved(), stamp: undefined }),
      JSON.stringify({ ...saved(), build: undefined }),
      JSON.stringify({ ...saved(), tree: "<b>x</b>" }),
      JSON.stringify({ ...saved(), words: { now: "now", minutes: [1], yesterday: "y" } }),
      JSON.stringify({ ...saved(), words: undefined }),
    ]) {
      expect(parseSavedPaint(raw), String(raw)).toBeNull();
    }
  });

  it("goes with the session it belongs to, and is never kept for another account", () => {
    signIn();
    storage.setItem(FIRST_PAINT_KEY, JSON.stringify(saved({ userId })));
    rememberSession(null);
    expect(storage.getItem(FIRST_PAINT_KEY)).toBeNull();

    storage.setItem(FIRST_PAINT_KEY, JSON.stringify(saved({ userId: "someone-else" })));
    signIn();
    expect(storage.getItem(FIRST_PAINT_KEY)).toBeNull();
    storage.setItem(FIRST_PAINT_KEY, JSON.stringify(saved({ userId })));
    signIn();
    expect(storage.getItem(FIRST_PAINT_KEY)).not.toBeNull();
  });
});

describe("how far down the saved copy reaches", () => {
  const win = (innerHeight: number, width: number, height: number, maxTouchPoints = 0) => ({ innerHeight, screen: { width, height }, navigator: { maxTouchPoints } }) as Window;

  it("is the screen's height, which no window on it can pass, and a quarter more", () => {
    expect(screenBottom(win(700, 1920, 1080))).toBe(1350);
  });

  it("is the screen's longer side where the screen turns: a phone saved in landscape starts in portrait", () => {
    expect(screenBottom(win(390, 844, 390, 5))).toBe(1055);
  });

  it("is the window's height when a zoom makes it taller than the screen in CSS pixels", () => {
    expect(screenBottom(win(2160, 1920, 1080))).toBe(2700);
  });
});
