import { describe, expect, it } from "vitest";
import { parseHash, routeHash, type Route } from "./ui.js";

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
