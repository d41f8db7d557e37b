import { describe, expect, it } from "vitest";
import { ME, PEER, summary } from "../../db/test-fixtures.js";
import type { StoredSummary } from "../../db/records.js";
import { i18n } from "../../i18n/index.js";
import { byPinThenActivity, emptyFolderText, folderKey, folderName, foldersFor, inFolder, myLabels, parseFolderKey, type Folder } from "./folders.js";

const item = (id: string, sellerId: string, over: Partial<StoredSummary> = {}) =>
  summary(id, {
    conversation: { id, type: "item", itemId: `i-${id}`, memberIds: [ME, PEER], lastSeq: 0, at: 1_000 },
    item: { id: `i-${id}`, sellerId, title: `Lamp ${id}`, description: "", priceCents: 500, status: "listed", at: 1 },
    ...over,
  });

const chats = {
  plain: summary("plain"),
  buying: item("buy", PEER),
  selling: item("sell", ME, { label: "Weekend" }),
  unread: summary("unread", { unread: 2, label: "family " }),
  marked: summary("marked", { markedUnread: true }),
  archived: summary("archived", { archived: true, unread: 1, label: "Old" }),
};
const all = Object.values(chats);
const shown = (folder: Folder) => all.filter((s) => inFolder(s, folder, ME)).map((s) => s.conversationId);

describe("folders", () => {
  it("All leaves archived conversations out; Archived has only them", () => {
    expect(shown({ kind: "all" })).toEqual(["plain", "buy", "sell", "unread", "marked"]);
    expect(shown({ kind: "archived" })).toEqual(["archived"]);
  });

  it("Unread holds unread messages and conversations I marked unread, not archived ones", () => {
    expect(shown({ kind: "unread" })).toEqual(["unread", "marked"]);
  });

  it("Buying and Selling come from item chats: is the listing mine?", () => {
    expect(shown({ kind: "buying" })).toEqual(["buy"]);
    expect(shown({ kind: "selling" })).toEqual(["sell"]);
    // An item chat whose listing is not known can't be placed; a direct chat is neither.
    expect(inFolder(item("x", ME, { item: null }), { kind: "selling" }, ME)).toBe(false);
    expect(inFolder(item("x", ME, { item: null }), { kind: "buying" }, ME)).toBe(false);
  });

  it("my labels are the distinct labels across my conversations (trimmed), in order, archived ones included", () => {
    expect(myLabels(all)).toEqual(["family", "Old", "Weekend"]);
    expect(shown({ kind: "label", label: "family" })).toEqual(["unread"]);
    expect(shown({ kind: "label", label: "Old" })).toEqual([]);
    expect(foldersFor(all).map(folderKey)).toEqual(["all", "unread", "buying", "selling", "label:family", "label:Old", "label:Weekend", "archived"]);
  });

  it("a folder survives sessionStorage as a string; anything else is All", () => {
    for (const folder of foldersFor(all)) expect(parseFolderKey(folderKey(folder))).toEqual(folder);
    expect(parseFolderKey("label:a:b")).toEqual({ kind: "label", label: "a:b" });
    for (const junk of [null, "", "label:", "everything", "toString"]) expect(parseFolderKey(junk)).toEqual({ kind: "all" });
  });

  it("pinned conversations come first, each part newest first", () => {
    const rows = [
      { id: "old", pinned: false, at: 1 },
      { id: "pinned-old", pinned: true, at: 2 },
      { id: "new", pinned: false, at: 9 },
      { id: "pinned-new", pinned: true, at: 5 },
    ];
    expect(rows.sort(byPinThenActivity).map((r) => r.id)).toEqual(["pinned-new", "pinned-old", "new", "old"]);
  });

  it("names the folders, and says what an empty one holds, in the app's language (a label as typed)", async () => {
    expect(foldersFor(all).map(folderName)).toEqual(["All", "Unread", "Buying", "Selling", "family", "Old", "Weekend", "Archived"]);
    expect(emptyFolderText({ kind: "label", label: "Old" })).toBe("Nothing labelled “Old” any more.");
    await i18n.changeLanguage("zh");
    try {
      expect(foldersFor(all).map(folderName)).toEqual(["全部", "未读", "我买的", "我卖的", "family", "Old", "Weekend", "已归档"]);
      expect(emptyFolderText({ kind: "unread" })).toBe("没有未读消息。");
      expect(emptyFolderText({ kind: "label", label: "Old" })).toBe("已经没有标签为“Old”的聊天了。");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
