import { afterEach, describe, expect, it, vi } from "vitest";
import { type Entry, parseCursor, type PullResponse, zeroVersions } from "../../../shared/protocol/index.js";
import type { Context } from "../../context.js";
import { DeliveryMetrics } from "../../sync/delivery-metrics.js";
import { Hub } from "../../sync/hub.js";
import { BACKLOG_QUEUE_MAX, SseStream } from "./sse-stream.js";

afterEach(() => {
  vi.useRealTimers();
});

/** A user's chat domain in memory, appending through the hub as real features do. */
function fakeWorld(opts: { watchLiveness?: boolean; clock?: () => number } = {}) {
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
  // The stream uses only heads, pull, the hub, the heartbeat setting, the clock and the delivery counters.
  const delivery = new DeliveryMetrics();
  const ctx = { sync: storage, hub, config: { heartbeatMs: 60_000 }, clock: opts.clock ?? (() => 0), delivery } as unknown as Context;
  const frames: { name: string; data: unknown; id?: string }[] = [];
  const writer = { retry: () => undefined, event: (name: string, data: unknown, id?: string) => void frames.push({ name, data, id }), end: () => undefined };
  const stream = new SseStream("s1", "u", "d1", "sess", zeroVersions(), {
    ctx,
    writer,
    hello: (heads) => ({ userId: "u", deviceId: "d1", heads, ring: 2000, heartbeatMs: 60_000, transport: "sse" }),
    sessionAlive: async () => true,
    watchLiveness: opts.watchLiveness ?? false,
    log: { error: () => undefined },
  });
  const pushed = () => frames.filter((f) => f.name === "push").flatMap((f) => f.data as Entry[]);
  return { hub, delivery, append, stream, frames, pushed, floodDuringNextPull: (fn: () => void) => (duringPull = fn), appendAfterNextRead: (fn: () => void) => (afterPull = fn) };
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

  it("re-pushes entries the backlog already sent, once live, without moving the id backwards", async () => {
    const w = fakeWorld();
    w.append(3);
    const e = (v: number): Entry => ({ d: "chat", v, k: "msg", at: 0, data: {} });
    // A re-push while the backlog is read is dropped: the backlog sends up to the heads anyway.
    w.floodDuringNextPull(() => w.stream.repush([e(1)]));
    await w.stream.start();
    expect(w.pushed().map((x) => x.v)).toEqual([1, 2, 3]);
    w.stream.repush([e(1), e(2)]);
    expect(w.pushed().map((x) => x.v)).toEqual([1, 2, 3, 1, 2]);
    expect(w.frames.at(-1)).toMatchObject({ name: "push", id: "chat:3,system:0,marketing:0" });
  });

  it("answers a device's heartbeat with ping {at, echo}, only once hello is out and until it ends", async () => {
    const w = fakeWorld({ clock: () => 42 });
    expect(w.stream.ping("early")).toBe(false);
    await w.stream.start();
    expect(w.stream.ping("abc")).toBe(true);
    expect(w.stream.ping(undefined)).toBe(true);
    expect(w.frames.filter((f) => f.name === "ping").map((f) => f.data)).toEqual([{ at: 42, echo: "abc" }, { at: 42 }]);
    w.stream.gone();
    expect(w.stream.ping("late")).toBe(false);
  });

  it("hb=1: the stream is found dead after two heartbeats without a sign of life from the device, and counted", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const w = fakeWorld({ watchLiveness: true, clock: () => Date.now() });
    await w.stream.start();
    await vi.advanceTimersByTimeAsync(100_000);
    w.stream.alive(); // a request from the device (ack, ping, anything with X-Device-Id)
    await vi.advanceTimersByTimeAsync(119_000);
    expect(w.stream.closed).toBe(false);
    expect(w.stream.ping("x")).toBe(true); // t = 219 s: a heartbeat is a sign of life too
    await vi.advanceTimersByTimeAsync(119_999);
    expect(w.stream.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.stream.closed).toBe(true);
    expect(w.frames.at(-1)).toMatchObject({ name: "close", data: { reason: "dead" } });
    expect(w.delivery.deadConnections).toEqual({ ws: 0, sse: 1, poll: 0 });
    expect(w.hub.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("without hb=1 a quiet device's stream lives on, as the contract says", async () => {
    vi.useFakeTimers();
    const w = fakeWorld({ clock: () => Date.now() });
    await w.stream.start();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(w.stream.closed).toBe(false);
    expect(w.frames.filter((f) => f.name === "ping")).toHaveLength(10);
    w.stream.gone();
  });
});
