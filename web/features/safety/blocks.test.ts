import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CourierDb } from "../../db/database.js";
import type { DexieSyncStore } from "../../db/store.js";
import { message, ME, openTestStore, PEER } from "../../db/test-fixtures.js";
import { i18n } from "../../i18n/index.js";
import { blockedLast, blockedPreview, visibleMessages } from "./blocks.js";

let db: CourierDb;
let store: DexieSyncStore;

beforeEach(async () => {
  ({ db, store } = await openTestStore());
});

afterEach(async () => {
  await db.delete();
});

const blocks = (v: number, data: unknown) => ({ d: "system" as const, v, k: "blocks", at: 1_000 + v, data });

describe("the block list on a device", () => {
  it("is replaced whole by each blocks entry (system domain); a malformed one is skipped and the version still moves", async () => {
    await store.apply("system", [blocks(1, { userIds: [PEER] }), blocks(2, { userIds: [PEER, "u-other"] })], 2);
    expect(await db.safety.get("blocks")).toEqual({ key: "blocks", userIds: [PEER, "u-other"] });
    await store.apply("system", [blocks(3, { userIds: ["u-other"] }), blocks(4, { userIds: "nonsense" })], 4);
    expect(await db.safety.get("blocks")).toEqual({ key: "blocks", userIds: ["u-other"] });
    await store.apply("system", [blocks(5, { userIds: [] })], 5);
    expect(await db.safety.get("blocks")).toEqual({ key: "blocks", userIds: [] });
    expect((await store.loadVersions()).system).toBe(5);
  });

  it("hides the messages of people I block in a group only, keeping system lines", () => {
    const shown = [message("g", 1), message("g", 2, { senderId: ME }), message("g", 3, { kind: "system", senderId: PEER }), message("g", 4, { senderId: "u-other" })];
    const blocked = new Set([PEER]);
    expect(visibleMessages(shown, blocked, true).map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(visibleMessages(shown, blocked, false).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(visibleMessages(shown, new Set(), true)).toHaveLength(4);
  });

  it("keeps a group's newest message from someone I block out of the list's preview, and nothing else", () => {
    const blocked = new Set([PEER]);
    const of = (type: "group" | "direct", last: ReturnType<typeof message> | null) => ({ conversation: { type }, lastMessage: last });
    expect(blockedLast(of("group", message("g", 1)), blocked)).toBe(true);
    expect(blockedLast(of("group", message("g", 1, { senderId: "u-other" })), blocked)).toBe(false);
    expect(blockedLast(of("group", message("g", 1, { kind: "system" })), blocked)).toBe(false);
    expect(blockedLast(of("direct", message("d", 1)), blocked)).toBe(false);
    expect(blockedLast(of("group", null), blocked)).toBe(false);
  });

  it("says so in the preview in the app's language, never their text", async () => {
    expect(blockedPreview()).toBe("Hidden: from someone you blocked");
    await i18n.changeLanguage("zh");
    try {
      expect(blockedPreview()).toBe("已隐藏：来自你屏蔽的人");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
