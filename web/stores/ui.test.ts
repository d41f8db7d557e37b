import { describe, expect, it, vi } from "vitest";
import { parseHash, routeHash, useUi, type Route } from "./ui.js";

describe("routes", () => {
  it("round-trip through the hash", () => {
    const routes: Route[] = [{ name: "chats" }, { name: "conversation", id: "c/1 x" }, { name: "listings" }, { name: "sell" }, { name: "new-chat" }, { name: "settings" }];
    for (const route of routes) expect(parseHash(routeHash(route))).toEqual(route);
  });
  it("falls back to the chat list for anything unknown", () => {
    expect(parseHash("")).toEqual({ name: "chats" });
    expect(parseHash("#/nope")).toEqual({ name: "chats" });
    expect(parseHash("#/c/")).toEqual({ name: "chats" });
  });
});

describe("jumpToMessage", () => {
  it("opens the conversation and leaves the message to focus for its list", () => {
    vi.stubGlobal("location", { hash: "#/" });
    try {
      useUi.getState().jumpToMessage("c1", "m7", 7);
      expect(useUi.getState().route).toEqual({ name: "conversation", id: "c1" });
      expect(location.hash).toBe("#/c/c1");
      expect(useUi.getState().focusMessage).toEqual({ conversationId: "c1", messageId: "m7", seq: 7 });
      useUi.getState().clearFocusMessage();
      expect(useUi.getState().focusMessage).toBeNull();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
