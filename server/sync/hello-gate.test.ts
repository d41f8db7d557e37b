import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/protocol/index.js";
import { HelloGate } from "./hello-gate.js";

const entry = (d: Entry["d"], v: number): Entry => ({ d, v, k: "msg", at: 0, data: {} });

describe("HelloGate", () => {
  it("holds pushes until hello, then flushes only versions after the hello heads", () => {
    const sent: Entry[][] = [];
    const gate = new HelloGate((e) => sent.push(e));
    gate.push([entry("chat", 4), entry("chat", 5)]);
    gate.push([entry("system", 1)]);
    expect(sent).toEqual([]);
    gate.open({ chat: 4, system: 0, marketing: 0 });
    expect(sent).toEqual([[entry("chat", 5), entry("system", 1)]]);
  });

  it("after hello, still drops anything at or below the hello heads (a late publish)", () => {
    const sent: Entry[][] = [];
    const gate = new HelloGate((e) => sent.push(e));
    gate.open({ chat: 10, system: 0, marketing: 0 });
    gate.push([entry("chat", 9)]);
    gate.push([entry("chat", 11)]);
    expect(sent).toEqual([[entry("chat", 11)]]);
  });

  it("drops a re-push before hello and sends only versions above the heads after it", () => {
    const sent: Entry[][] = [];
    const gate = new HelloGate((e) => sent.push(e));
    expect(gate.repush([entry("chat", 3)])).toBe(0);
    gate.open({ chat: 2, system: 0, marketing: 0 });
    expect(sent).toEqual([]);
    expect(gate.repush([entry("chat", 2), entry("chat", 3), entry("chat", 3)])).toBe(2);
    expect(sent).toEqual([[entry("chat", 3), entry("chat", 3)]]);
  });
});
