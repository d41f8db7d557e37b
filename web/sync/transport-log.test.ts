import { describe, expect, it } from "vitest";
import { TransportLog, recordDead } from "./transport-log.js";

describe("TransportLog", () => {
  it("records a link declared dead with how long it was silent, for window.__courier.transportLog()", () => {
    let now = 1_000;
    const log = new TransportLog(3, () => now, () => now - 900);
    log.record("ws", "hello");
    now = 26_000;
    recordDead(log, "ws", 25_000.4);
    expect(log.list()).toEqual([
      { name: "ws", event: "hello", at: 1_000, sinceLoadMs: 100 },
      { name: "ws", event: "dead", detail: "no sign of life for 25000 ms", at: 26_000, sinceLoadMs: 25_100 },
    ]);
    recordDead(null, "ws", 1); // no log: nothing to do
  });

  it("keeps only the newest entries", () => {
    const log = new TransportLog(2, () => 0, () => 0);
    log.record("ws", "hello");
    log.record("sse", "fallback");
    log.record("sse", "hello");
    expect(log.list().map((e) => `${e.event}:${e.name}`)).toEqual(["fallback:sse", "hello:sse"]);
  });
});
