import { describe, expect, it } from "vitest";
import { searchOrder, searchTextOf } from "./messages.js";

/** One definition for the server's search and the web app's merge of its own results into it (the contract's order). */
describe("searchOrder", () => {
  it("puts newer first, then the later conversation id, then the higher seq", () => {
    const places = [
      { at: 1, conversationId: "a", seq: 1 },
      { at: 2, conversationId: "a", seq: 1 },
      { at: 2, conversationId: "b", seq: 1 },
      { at: 2, conversationId: "b", seq: 3 },
    ];
    expect([...places].sort(searchOrder)).toEqual([places[3], places[2], places[1], places[0]]);
    expect(searchOrder(places[0]!, places[0]!)).toBe(0);
  });
});

describe("searchTextOf", () => {
  it("is the normalised body of a text message, and empty for any other kind", () => {
    expect(searchTextOf({ kind: "text", body: "Ｈｅｌｌｏ World" })).toBe("hello world");
    expect(searchTextOf({ kind: "system", body: "Order paid" })).toBe("");
    expect(searchTextOf({ kind: "sticker", body: "cat" })).toBe("");
  });
});
