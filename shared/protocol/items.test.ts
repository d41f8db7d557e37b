import { describe, expect, it } from "vitest";
import { itemSchema, type ItemState, itemState, itemWire } from "./index.js";

describe("an item's state on the wire", () => {
  it("status stays the contract's listed or sold; availability carries reserved and withdrawn; itemState reads them back", () => {
    const states: ItemState[] = ["listed", "reserved", "sold", "withdrawn"];
    expect(states.map(itemWire)).toEqual([
      { status: "listed" },
      { status: "listed", availability: "reserved" },
      { status: "sold" },
      { status: "sold", availability: "withdrawn" },
    ]);
    for (const state of states) expect(itemState(itemWire(state))).toBe(state);
  });

  it("the schema refuses the extra states in status itself", () => {
    const item = { id: "i1", sellerId: "u1", title: "Bike", priceCents: 100, description: "", at: 1 };
    expect(itemSchema.safeParse({ ...item, status: "reserved" }).success).toBe(false);
    expect(itemSchema.safeParse({ ...item, ...itemWire("withdrawn") }).success).toBe(true);
  });
});
