import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CourierError, parseCursor, zeroVersions, type Domain, type Entry, type Hello, type Versions } from "../../shared/protocol/index.js";
import type { Api } from "../api/client.js";
import { SSE_TIMINGS, SseTransport, type EventStream } from "./sse-transport.js";
import type { TransportHandlers } from "./transport.js";

const DEVICE = "8a6f2b7e-1c1d-4d7e-9b7a-2f0c8e5d4a31";

/** An EventSource the test plays the server for. */
class FakeStream implements EventStream {
  closed = false;
  private readonly listeners = new Map<string, Array<(event: { data?: unknown }) => void>>();
  constructor(readonly url: string) {}

  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
  }
  /** Dispatches like a browser would, closed or not: the transport must ignore a stream it let go. */
  emit(type: string, data?: unknown): void {
    const text = data === undefined || typeof data === "string" ? data : JSON.stringify(data);
    for (const listener of this.listeners.get(type) ?? []) listener({ data: text });
  }
  get query(): URLSearchParams {
    return new URL(this.url, "http://courier.test").searchParams;
  }
  get cursor(): Versions | null {
    return parseCursor(this.query.get("cursor") ?? "");
  }
}

const hello: Hello = { userId: "u1", deviceId: DEVICE, heads: { chat: 3, system: 0, marketing: 0 }, ring: 2000, heartbeatMs: 1_000, transport: "sse" };
const entry = (v: number): Entry => ({ d: "chat", v, k: "notice", at: 0, data: {} });

let streams: FakeStream[];
let consumed: Versions;
let statuses: string[];
let hellos: Hello[];
let pushed: number[];
let refusals: string[];
let resets: Domain[][];
let resetDone: () => void;
let api: { me: ReturnType<typeof vi.fn>; send: ReturnType<typeof vi.fn>; pull: ReturnType<typeof vi.fn>; ack: ReturnType<typeof vi.fn> };

function handlers(): TransportHandlers {
  return {
    cursor: () => ({ ...consumed }),
    onHello: (h) => hellos.push(h),
    onPush: (entries) => pushed.push(...entries.map((e) => e.v)),
    onStatus: (s) => statuses.push(s),
    onRefused: (code) => refusals.push(code),
    onReset: (domains) => {
      resets.push(domains);
      return new Promise<void>((resolve) => (resetDone = resolve));
    },
  };
}

function transport(): SseTransport {
  return new SseTransport({
    deviceId: DEVICE,
    api: api as unknown as Api,
    openStream: (url) => {
      const stream = new FakeStream(url);
      streams.push(stream);
      return stream;
    },
    random: () => 0.5,
  });
}

const latest = (): FakeStream => streams.at(-1)!;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  streams = [];
  consumed = zeroVersions();
  statuses = [];
  hellos = [];
  pushed = [];
  refusals = [];
  resets = [];
  resetDone = () => {};
  api = { me: vi.fn(async () => ({ id: "u1" })), send: vi.fn(), pull: vi.fn(), ack: vi.fn(async () => {}) };
});
afterEach(() => {
  vi.useRealTimers();
});

describe("SseTransport", () => {
  it("opens the stream with the device and the consumed versions, says hello and hands pushes over", () => {
    consumed = { chat: 2, system: 1, marketing: 0 };
    const sse = transport();
    sse.connect(handlers());
    expect(latest().query.get("device")).toBe(DEVICE);
    expect(latest().cursor).toEqual({ chat: 2, system: 1, marketing: 0 });
    expect(statuses).toEqual(["connecting"]);
    expect(sse.online).toBe(false);

    latest().emit("push", [entry(1)]); // before hello: not for a greeted connection
    latest().emit("hello", hello);
    latest().emit("push", [entry(3), entry(4)]);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    latest().emit("push", [{ d: "chat", v: "five" }, entry(6)]); // a malformed one is dropped, not the batch
    latest().emit("push", "not json");
    warn.mockRestore();

    expect(statuses).toEqual(["connecting", "online"]);
    expect(hellos).toEqual([hello]);
    expect(pushed).toEqual([3, 4, 6]);
    expect(sse.online).toBe(true);
  });

  it("on an error opens a new stream from the current cursor after a backoff, and ignores the old one", () => {
    const sse = transport();
    sse.connect(handlers());
    const first = latest();
    first.emit("hello", hello);
    first.emit("push", [entry(1), entry(2)]);
    consumed = { chat: 2, system: 0, marketing: 0 };

    first.emit("error");
    expect(first.closed).toBe(true); // no browser reconnect with Last-Event-ID
    expect(statuses.at(-1)).toBe("offline");
    expect(sse.online).toBe(false);
    vi.advanceTimersByTime(SSE_TIMINGS.retryBaseMs * 0.5 - 1); // full jitter, random 0.5
    expect(streams).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(streams).toHaveLength(2);
    expect(latest().cursor).toEqual({ chat: 2, system: 0, marketing: 0 });

    first.emit("push", [entry(9)]);
    first.emit("hello", hello);
    expect(pushed).toEqual([1, 2]);
    expect(hellos).toHaveLength(1);
    latest().emit("hello", hello);
    expect(hellos).toHaveLength(2);
    expect(statuses).toEqual(["connecting", "online", "offline", "connecting", "online"]);
  });

  it("on a reset takes a snapshot, then reconnects with the cursor it left", async () => {
    const sse = transport();
    sse.connect(handlers());
    const first = latest();
    first.emit("hello", hello);
    first.emit("reset", { d: "chat" });
    expect(first.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(resets).toEqual([["chat"]]);
    expect(streams).toHaveLength(1); // not before the snapshot has landed
    expect(sse.online).toBe(true); // the snapshot goes over HTTP; nothing to report

    consumed = { chat: 40, system: 0, marketing: 0 };
    resetDone();
    await vi.advanceTimersByTimeAsync(0);
    expect(streams).toHaveLength(2);
    expect(latest().cursor).toEqual({ chat: 40, system: 0, marketing: 0 });
    expect(statuses).toEqual(["connecting", "online", "connecting"]);
  });

  it("replaces a stream that stays silent for two heartbeats", () => {
    const sse = transport();
    sse.connect(handlers());
    latest().emit("hello", hello); // heartbeatMs 1000: silent after 2 × 1000 + 5000
    vi.advanceTimersByTime(6_000);
    latest().emit("ping", { at: 6_000 });
    vi.advanceTimersByTime(6_999);
    expect(latest().closed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(latest().closed).toBe(true);
    expect(statuses.at(-1)).toBe("offline");
  });

  it("gives up on a stream that never says hello (a buffering proxy) and tries again", () => {
    const sse = transport();
    sse.connect(handlers());
    vi.advanceTimersByTime(SSE_TIMINGS.helloTimeoutMs);
    expect(streams[0]!.closed).toBe(true);
    vi.advanceTimersByTime(SSE_TIMINGS.retryBaseMs);
    expect(streams).toHaveLength(2);
  });

  it("asks /api/me when a stream fails before its hello, and reports a 401 as refused", async () => {
    api.me.mockRejectedValue(new CourierError("unauthorized", "Sign in again"));
    const sse = transport();
    sse.connect(handlers());
    latest().emit("error");
    await vi.advanceTimersByTimeAsync(0);
    expect(api.me).toHaveBeenCalledTimes(1);
    expect(refusals).toEqual(["unauthorized"]);

    // Not on every retry.
    await vi.advanceTimersByTimeAsync(SSE_TIMINGS.retryBaseMs);
    latest().emit("error");
    await vi.advanceTimersByTimeAsync(0);
    expect(api.me).toHaveBeenCalledTimes(1);
  });

  it("treats the server's close event for a logout as refused", () => {
    const sse = transport();
    sse.connect(handlers());
    latest().emit("hello", hello);
    latest().emit("close", { reason: "logout" });
    expect(refusals).toEqual(["unauthorized"]);
    expect(latest().closed).toBe(true);
  });

  it("wake() skips the rest of the backoff", () => {
    const sse = transport();
    sse.connect(handlers());
    latest().emit("error");
    expect(streams).toHaveLength(1);
    sse.wake();
    expect(streams).toHaveLength(2);
    sse.wake(); // connecting: nothing to skip
    expect(streams).toHaveLength(2);
  });

  it("after close() calls no handler and opens nothing", () => {
    const sse = transport();
    sse.connect(handlers());
    const stream = latest();
    sse.close();
    expect(stream.closed).toBe(true);
    stream.emit("hello", hello);
    stream.emit("push", [entry(1)]);
    stream.emit("error");
    vi.advanceTimersByTime(120_000);
    expect(streams).toHaveLength(1);
    expect(statuses).toEqual(["connecting"]);
    expect(hellos).toEqual([]);
    expect(pushed).toEqual([]);
  });

  it("sends, pulls and acks over HTTP", async () => {
    const sse = transport();
    await sse.ack({ chat: 3 });
    expect(api.ack).toHaveBeenCalledWith({ chat: 3 });
  });
});
