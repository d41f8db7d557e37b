import { describe, expect, it } from "vitest";
import { entryData } from "./append-batch.js";
import type { NewEntry } from "./tx.js";

const entry = (userId: string, data: unknown): NewEntry => ({ userId, d: "chat", k: "msg", data });

describe("entryData", () => {
  it("gives every entry its own data's JSON, a shared object serialised once, whatever the order", () => {
    const shared = { message: { id: "m1", body: "hi" } };
    const other = { message: { id: "m2", body: "there" } };
    let calls = 0;
    const counted = { toJSON: () => (calls++, { n: 1 }) };
    const json = entryData([entry("a", shared), entry("b", shared), entry("c", other), entry("d", shared), entry("e", counted), entry("f", counted)]);
    expect(json.map((j) => JSON.parse(j) as unknown)).toEqual([shared, shared, other, shared, { n: 1 }, { n: 1 }]);
    // Two neighbours sharing an object: serialised once for both.
    expect(calls).toBe(1);
  });

  it("stores data that serialises to nothing as null", () => {
    expect(entryData([entry("a", undefined)])).toEqual(["null"]);
    expect(entryData([])).toEqual([]);
  });
});
