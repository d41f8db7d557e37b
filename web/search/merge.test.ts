import { describe, expect, it } from "vitest";
import { message } from "../db/test-fixtures.js";
import { mergeResults } from "./merge.js";

describe("mergeResults", () => {
  const a = message("c1", 5, { at: 5_000 });
  const b = message("c1", 4, { at: 4_000 });
  const c = message("c2", 9, { at: 3_000 });
  const d = message("c1", 1, { at: 1_000 });

  it("lists a message both found once, as this device's, newest first", () => {
    const hits = mergeResults([a, c], [b, c, d], new Map());
    expect(hits.map((h) => [h.message.id, h.source])).toEqual([
      [a.id, "device"],
      [b.id, "server"],
      [c.id, "device"],
      [d.id, "server"],
    ]);
  });

  it("orders equal times by conversation, then seq, as the server does", () => {
    const x = message("c1", 2, { at: 7_000 });
    const y = message("c2", 1, { at: 7_000 });
    const z = message("c2", 2, { at: 7_000 });
    expect(mergeResults([x], [y, z], new Map()).map((h) => h.message.id)).toEqual([z.id, y.id, x.id]);
  });

  it("drops a server result this device holds as recalled or deleted for me", () => {
    const held = new Map([
      [b.id, { ...b, body: "", recalled: true }],
      [d.id, { ...d, body: "", hidden: true }],
    ]);
    expect(mergeResults([a], [b, c, d], held).map((h) => h.message.id)).toEqual([a.id, c.id]);
  });
});
