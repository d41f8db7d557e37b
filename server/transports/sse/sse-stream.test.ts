import { describe, expect, it } from "vitest";
import { type Entry, parseCursor, type PullResponse, zeroVersions } from "../../../shared/protocol/index.js";
import type { Context } from "../../context.js";
import { Hub } from "../../sync/hub.js";
import { BACKLOG_QUEUE_MAX, SseStream } from "./sse-stream.js";

/** A user's chat domain in memory, appending through the hub as real features do. */
function fakeWorld() {
  const hub = new Hub();
  const log: Entry[] = [];
  let duringPull: (() => void) | null = null;
  let afterPull: (() => void) | null = null;
  const append = (n: number) => {
    const entries = Array.from({ length: n }, (_, i): Entry => ({ d: "chat", v: log.length + i + 1, k: "msg", at: 0, data: {} }));
    log.push(...entries);
    hub.publish([{ userId: "u", entries }]);
  };
  const storage = {
    heads: async () => ({ ...zeroVersions(), chat: log.length }),
    pull: async (_u: string, d: "chat", after: number, limit: number): Promise<PullResponse> => {
      const [flood, late] = [duringPull, afterPull];
      duringPull = afterPull = null;
      flood?.();
      const page: PullResponse = { d, entries: log.filter((e) => e.v > after).slice(0, limit), head: log.length, reset: false };
      late?.();
      return page;
    },
  };
  // The stream uses only heads, pull, the hub, the heartbeat setting and the clock.
  const ctx = { storage, hub, config: { heartbeatMs: 60_000 }, clock: () => 0 } as unknown as Context;
  const frames: { name: string; data: unknown; id?: string }[] = [];
  const writer = { retry: () => undefined, event: (name: string, data: unknown, id?: string) => void frames.push({ name, data, id }), end: () => undefined };
  const stream = new SseStream("s1", "u", "d1", "sess", zeroVersions(), {
    ctx,
    writer,
    hello: (heads) => ({ userId: "u", deviceId: "d1", heads, ring: 2000, heartbeatMs: 60_000, transport: "sse" }),
    sessionAlive: async () => true,
    log: { error: () => undefined },
  });
  const pushed = () => frames.filter((f) => f.name === "push").flatMap((f) => f.data as Entry[]);
  return { hub, append, stream, frames, pushed, floodDuringNextPull: (fn: () => void) => (duringPull = fn), appendAfterNextRead: (fn: () => void) => (afterPull = fn) };
}

describe("SseStream", () => {
  it("queues an append that lands after the backlog was read and sends it after the backlog, once", async () => {
    const w = fakeWorld();
    w.append(3);
    w.appendAfterNextRead(() => w.append(2));
    await w.stream.start();
    expect(w.frames.map((f) => f.name)).toEqual(["hello", "push", "push"]);
    expect(w.pushed().map((e) => e.v)).toEqual([1, 2, 3, 4, 5]);
  });

  it("reads the backlog again when live appends overflow the queue during it; nothing lost or repeated", async () => {
    const w = fakeWorld();
    w.append(10);
    w.floodDuringNextPull(() => w.append(BACKLOG_QUEUE_MAX + 5));
    await w.stream.start();
    w.append(1);
    const total = 10 + BACKLOG_QUEUE_MAX + 5 + 1;
    expect(w.pushed().map((e) => e.v)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(parseCursor(w.frames.at(-1)!.id!)!.chat).toBe(total);
    w.stream.gone();
    expect(w.hub.size).toBe(0);
  });

  it("sends live entries published out of order, drops what the backlog sent, and a re-push keeps the id", async () => {
    const w = fakeWorld();
    w.append(2);
    await w.stream.start();
    const e = (v: number): Entry => ({ d: "chat", v, k: "msg", at: 0, data: {} });
    w.hub.publish([{ userId: "u", entries: [e(4)] }]);
    w.hub.publish([{ userId: "u", entries: [e(3)] }]);
    w.hub.publish([{ userId: "u", entries: [e(2)] }]); // the backlog sent it: dropped
    w.hub.publish([{ userId: "u", entries: [e(3)] }]); // a re-push (retransmission)
    expect(w.pushed().map((x) => x.v)).toEqual([1, 2, 4, 3, 3]);
    expect(w.frames.filter((f) => f.name === "push").map((f) => f.id)).toEqual([
      "chat:2,system:0,marketing:0",
      "chat:4,system:0,marketing:0",
      "chat:4,system:0,marketing:0",
      "chat:4,system:0,marketing:0",
    ]);
    w.stream.close("shutdown");
    expect(w.frames.at(-1)).toMatchObject({ name: "close", data: { reason: "shutdown" } });
  });
});
