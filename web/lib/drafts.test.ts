import { beforeEach, describe, expect, it, vi } from "vitest";
import { allDrafts, clearDraft, draftKey, forgetDrafts, loadDraft, saveDraft } from "./drafts.js";
import { MemoryStorage } from "./memory-storage.js";

class FullStorage extends MemoryStorage {
  override setItem(): void {
    throw new DOMException("full", "QuotaExceededError");
  }
}

describe("drafts", () => {
  let storage: MemoryStorage;
  beforeEach(() => {
    storage = new MemoryStorage();
  });

  it("uses one key per conversation", () => {
    expect(draftKey("c1")).toBe("courier.draft.c1");
  });

  it("saves, restores and clears a draft", () => {
    expect(loadDraft("c1", storage)).toBe("");
    saveDraft("c1", "hello\nthere ", storage);
    expect(storage.getItem("courier.draft.c1")).toBe("hello\nthere ");
    expect(loadDraft("c1", storage)).toBe("hello\nthere ");
    expect(loadDraft("c2", storage)).toBe("");
    clearDraft("c1", storage);
    expect(storage.getItem("courier.draft.c1")).toBeNull();
    expect(loadDraft("c1", storage)).toBe("");
  });

  it("is restored from storage alone, as after a reload", async () => {
    saveDraft("c9", "draft", storage);
    vi.resetModules();
    const fresh = await import("./drafts.js");
    expect(fresh.loadDraft("c9", storage)).toBe("draft");
    expect(fresh.loadDraft("c9", new MemoryStorage())).toBe("");
  });

  it("does not bring back a draft another tab cleared", () => {
    saveDraft("c5", "old", storage);
    storage.removeItem("courier.draft.c5");
    expect(loadDraft("c5", storage)).toBe("");
  });

  it("removes the draft when the text becomes blank", () => {
    saveDraft("c1", "x", storage);
    saveDraft("c1", "  \n ", storage);
    expect(storage.getItem("courier.draft.c1")).toBeNull();
  });

  it("keeps the draft in memory when storage refuses writes", () => {
    const full = new FullStorage();
    saveDraft("c3", "kept", full);
    expect(loadDraft("c3", full)).toBe("kept");
    clearDraft("c3", full);
    expect(loadDraft("c3", full)).toBe("");
  });

  it("works without any storage", () => {
    saveDraft("c4", "mem", null);
    expect(loadDraft("c4", null)).toBe("mem");
    clearDraft("c4", null);
    expect(loadDraft("c4", null)).toBe("");
  });

  it("forgets the drafts read at sign-out, and only those still as read", () => {
    saveDraft("c1", "a", storage);
    saveDraft("c2", "b", storage);
    storage.setItem("courier.other", "keep");
    const read = allDrafts(storage);
    saveDraft("c2", "b, and more typed since", storage);
    saveDraft("c3", "another account's, restored since", storage);
    forgetDrafts(read, storage);
    expect(allDrafts(storage)).toEqual([
      { conversationId: "c2", text: "b, and more typed since" },
      { conversationId: "c3", text: "another account's, restored since" },
    ]);
    expect(storage.getItem("courier.other")).toBe("keep");
  });

  it("forgets drafts held in memory when storage refused them", () => {
    const full = new FullStorage();
    saveDraft("c5", "in memory", full);
    forgetDrafts(allDrafts(full), full);
    expect(loadDraft("c5", full)).toBe("");
  });
});
