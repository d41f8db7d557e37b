import { describe, expect, it } from "vitest";
import type { Item } from "../../../shared/protocol/index.js";
import { compareListings, itemSeller, sellerName } from "./seller.js";

// Loosely typed on purpose: a server may send anything in `seller`.
const item = (over: Record<string, unknown> = {}): Item =>
  ({
    id: "i1",
    sellerId: "u-s",
    title: "Bike",
    priceCents: 1000,
    description: "",
    status: "listed",
    at: 1,
    ...over,
  }) as Item;

describe("seller", () => {
  it("reads the optional seller field", () => {
    const seller = { id: "u-s", username: "sam", displayName: "Sam Seller" };
    expect(itemSeller(item({ seller }))).toEqual(seller);
    expect(sellerName(item({ seller }))).toBe("Sam Seller");
    expect(sellerName(item({ seller: { ...seller, displayName: "" } }))).toBe("sam");
  });

  it("tolerates its absence or an odd value", () => {
    expect(itemSeller(item())).toBeNull();
    expect(itemSeller(item({ seller: null }))).toBeNull();
    expect(itemSeller(item({ seller: "sam" }))).toBeNull();
    expect(itemSeller(item({ seller: { id: "u-s" } }))).toBeNull();
    expect(itemSeller(item({ seller: { id: "someone-else", username: "x", displayName: "X" } }))).toBeNull();
    expect(sellerName(item())).toBeNull();
  });

  it("falls back to people already known", () => {
    const known = new Map([["u-s", { id: "u-s", username: "sam", displayName: "Sam" }]]);
    expect(sellerName(item(), known)).toBe("Sam");
  });
});

describe("compareListings", () => {
  it("lists available items first, newest first within each", () => {
    const list = [
      item({ id: "old-sold", status: "sold", at: 1 }),
      item({ id: "old", at: 2 }),
      item({ id: "new-sold", status: "sold", at: 5 }),
      item({ id: "new", at: 4 }),
    ];
    expect(list.sort(compareListings).map((i) => i.id)).toEqual(["new", "old", "new-sold", "old-sold"]);
  });
});
