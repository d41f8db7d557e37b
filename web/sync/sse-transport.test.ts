import { beforeEach, describe, expect, it, vi } from "vitest";
import { CourierError, LIVENESS_MISSES, parseCursor, zeroVersions, type Domain, type Entry, type Hello, type Versions } from "../../shared/protocol/index.js";
import type { Api } from "../api/client.js";
import { Http } from "../api/http.js";
import { RECONNECT_BACKOFF } from "./backoff.js";
import { FakeClock } from "./fake-clock.js";
import { SSE_TIMINGS, SSE_TRANSITIONS, SseTransport, type EventStream } from "./sse-transport.js";
import { TransportLog } from "./transport-log.js";
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

const H = 10_000;
const hello: Hello = { userId: "u1", deviceId: DEVICE, heads: { chat: 3, system: 0, marketing: 0 }, ring: 2000, heartbeatMs: H, transport: "sse" };
const { baseMs, capMs, hiddenCapMs } = RECONNECT_BACKOFF;

interface PingRequestSeen {
  method: string;
  url: URL;
  device: string | null;
  body: unknown;
}
const entry = (v: number): Entry => ({ d: "chat", v, k: "notice", at: 0, data: {} });

let streams: FakeStream[];
let consumed: Versions;
let statuses: string[];
let hellos: Hello[];
let pushed: number[];
let refusals: string[];
let resets: Domain[][];
let resetDone: () => void;
let clock: FakeClock;
let log: TransportLog;
let transitions: string[];
let pings: PingRequestSeen[];
let api: { me: ReturnType<typeof vi.fn>; send: ReturnType<typeof vi.fn>; pull: ReturnType<typeof vi.fn>; ack: ReturnType<typeof vi.fn>; http: Http };

/** The server's side of `POST /api/sync/ping`: answers at once (it may hold no stream of ours: streams 0). */
function fakeFetch(input: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  pings.push({ method: init.method ?? "GET", url: new URL(input, "http://courier.test"), device: headers.get("X-Device-Id"), body: JSON.parse(String(init.body)) });
  return Promise.resolve(new Response(JSON.stringify({ at: clock.now(), streams: 0 }), { status: 200, headers: { "Content-Type": "application/json" } }));
}

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

function transport(random: () => number = () => 0.5): SseTransport {
  return new SseTransport({
    deviceId: DEVICE,
    api: api as unknown as Api,
    openStream: (url) => {
      const stream = new FakeStream(url);
      streams.push(stream);
      return stream;
    },
    clock,
    random,
    log,
    onTransition: (from, to) => transitions.push(`${from}→${to}`),
  });
}

const latest = (): FakeStream => streams.at(-1)!;

beforeEach(() => {
  clock = new FakeClock(0);
  log = new TransportLog(200, () => clock.now(), () => clock.now());
  transitions = [];
  pings = [];
  streams = [];
  consumed = zeroVersions();
  statuses = [];
  hellos = [];
  pushed = [];
  refusals = [];
  resets = [];
  resetDone = () => {};
  const http = new Http("", fakeFetch);
  http.setDeviceId(DEVICE);
  api = { me: vi.fn(async () => ({ id: "u1" })), send: vi.fn(), pull: vi.fn(), ack: vi.fn(async () => {}), http };
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
    clock.advance(RECONNECT_BACKOFF.baseMs * 0.5 - 1); // full jitter, random 0.5
    expect(streams).toHaveLength(1);
    clock.advance(1);
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
    await clock.advanceAsync(5_000);
    expect(resets).toEqual([["chat"]]);
    expect(streams).toHaveLength(1); // not before the snapshot has landed
    expect(sse.online).toBe(true); // the snapshot goes over HTTP; nothing to report

    consumed = { chat: 40, system: 0, marketing: 0 };
    resetDone();
    await clock.advanceAsync(0);
    expect(streams).toHaveLength(2);
    expect(latest().cursor).toEqual({ chat: 40, system: 0, marketing: 0 });
    expect(statuses).toEqual(["connecting", "online", "connecting"]);
  });

  it(`replaces a stream silent for ${LIVENESS_MISSES} × max(interval, H), logs it, and opens a new one through the backoff`, async () => {
    const sse = transport();
    sse.connect(handlers());
    latest().emit("hello", hello);
    await clock.advanceAsync(6_000);
    latest().emit("ping", { at: 6_000 }); // the server's own ping
    await clock.advanceAsync(LIVENESS_MISSES * H - 1);
    expect(latest().closed).toBe(false); // our POSTs were answered all along: that proves nothing about the stream
    await clock.advanceAsync(1);
    expect(streams[0]!.closed).toBe(true);
    expect(statuses.at(-1)).toBe("offline");
    expect(log.list().map((e) => `${e.name} ${e.event}: ${e.detail}`)).toEqual([`sse dead: no sign of life for ${LIVENESS_MISSES * H} ms`]);
    await clock.advanceAsync(baseMs);
    expect(streams).toHaveLength(2);
  });

  it("gives up on a stream that never says hello (a buffering proxy) and tries again", () => {
    const sse = transport();
    sse.connect(handlers());
    clock.advance(SSE_TIMINGS.helloTimeoutMs);
    expect(streams[0]!.closed).toBe(true);
    clock.advance(RECONNECT_BACKOFF.baseMs);
    expect(streams).toHaveLength(2);
  });

  it("asks /api/me when a stream fails before its hello, and reports a 401 as refused", async () => {
    api.me.mockRejectedValue(new CourierError("unauthorized", "Sign in again"));
    const sse = transport();
    sse.connect(handlers());
    latest().emit("error");
    await clock.advanceAsync(0);
    expect(api.me).toHaveBeenCalledTimes(1);
    expect(refusals).toEqual(["unauthorized"]);

    // Not on every retry.
    await clock.advanceAsync(RECONNECT_BACKOFF.baseMs);
    latest().emit("error");
    await clock.advanceAsync(0);
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
    clock.advance(120_000);
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

describe("SseTransport: liveness", () => {
  it("opens streams with hb=1 and pings over POST /api/sync/ping with the device header: a burst, then every H/2", async () => {
    const sse = transport();
    sse.connect(handlers());
    expect(latest().query.get("hb")).toBe("1");
    expect(pings).toEqual([]); // not before hello
    latest().emit("hello", hello);
    await clock.advanceAsync(2_000 + H / 2);
    expect(pings.map((p) => `${p.method} ${p.url.pathname} ${p.device}`)).toEqual(Array(4).fill(`POST /api/sync/ping ${DEVICE}`));
    expect(pings.map((p) => p.body)).toEqual([{ echo: "1.1" }, { echo: "1.2" }, { echo: "1.3" }, { echo: "1.4" }]);
  });

  it("pings every H while hidden, and at once when woken (page visible again, browser online)", async () => {
    const sse = transport();
    sse.connect(handlers());
    latest().emit("hello", hello);
    await clock.advanceAsync(2_000);
    sse.setHidden(true);
    pings = [];
    await clock.advanceAsync(H);
    latest().emit("ping", { at: clock.now() }); // the server's, keeping the stream alive meanwhile
    await clock.advanceAsync(H);
    expect(pings.map(() => "ping")).toEqual(["ping", "ping"]); // at 12 000 and 22 000
    expect(streams[0]!.closed).toBe(false);
    sse.setHidden(false);
    pings = [];
    sse.wake();
    expect(pings).toHaveLength(1);
  });

  it("while hidden answers the server's own ping with a heartbeat when its timer has been quiet (a throttled background tab)", async () => {
    const sse = transport();
    sse.connect(handlers());
    latest().emit("hello", hello);
    await clock.advanceAsync(2_000);
    sse.setHidden(true);
    pings = [];
    await clock.advanceAsync(H / 2 + 1); // the browser ran no timer meanwhile
    latest().emit("ping", { at: clock.now() });
    expect(pings).toHaveLength(1);
    latest().emit("ping", { at: clock.now() }); // just answered: not again
    latest().emit("ping", { at: clock.now(), echo: "1.5" }); // an echo of ours is no reason to ping
    expect(pings).toHaveLength(1);
    sse.setHidden(false);
    await clock.advanceAsync(H / 2 + 1);
    pings = [];
    latest().emit("ping", { at: clock.now() }); // visible: the timer is trusted
    expect(pings).toHaveLength(0);
  });

  it("counts the stream's ping events, with or without an echo, and pushes as signs of life", async () => {
    const sse = transport();
    sse.connect(handlers());
    latest().emit("hello", hello);
    for (let i = 0; i < 10; i++) {
      await clock.advanceAsync(H);
      if (i % 3 === 0) latest().emit("ping", { at: clock.now() });
      else if (i % 3 === 1) latest().emit("ping", { at: clock.now(), echo: "1.1" });
      else latest().emit("push", [entry(10 + i)]);
    }
    expect(streams).toHaveLength(1);
    expect(streams[0]!.closed).toBe(false);
    expect(sse.online).toBe(true);
  });

  it("does not reconnect before the close event's retryAfterMs, not even when woken", async () => {
    const sse = transport(() => 0);
    sse.connect(handlers());
    latest().emit("hello", hello);
    latest().emit("close", { reason: "shutdown", retryAfterMs: 4_000 });
    expect(latest().closed).toBe(true);
    expect(refusals).toEqual([]);
    await clock.advanceAsync(1_000);
    sse.wake();
    await clock.advanceAsync(2_999);
    expect(streams).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(streams).toHaveLength(2);
  });

  it("does not take the server declaring us dead for a sign-out", () => {
    const sse = transport();
    sse.connect(handlers());
    latest().emit("hello", hello);
    latest().emit("close", { reason: "dead" });
    expect(refusals).toEqual([]);
    expect(latest().closed).toBe(true);
    expect(statuses.at(-1)).toBe("offline");
  });

  it(`backs off up to ${capMs / 1000} s while visible and ${hiddenCapMs / 1000} s while hidden`, () => {
    const sse = transport(() => 1);
    sse.connect(handlers());
    const waits: number[] = [];
    const fail = () => {
      latest().emit("error");
      const before = streams.length;
      let waited = 0;
      while (streams.length === before) {
        clock.advance(100);
        waited += 100;
      }
      waits.push(waited);
    };
    for (let i = 0; i < 5; i++) fail();
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 5_000]);
    sse.setHidden(true);
    fail();
    fail();
    expect(waits.slice(5)).toEqual([16_000, 30_000]);
  });

  it("moves only along its table", async () => {
    const sse = transport();
    sse.connect(handlers());
    latest().emit("hello", hello);
    latest().emit("reset", { d: "chat" });
    await clock.advanceAsync(0);
    resetDone();
    await clock.advanceAsync(0);
    latest().emit("error");
    await clock.advanceAsync(capMs);
    latest().emit("hello", hello);
    sse.close();
    expect(transitions).toEqual([
      "idle→connecting",
      "connecting→online",
      "online→resetting",
      "resetting→connecting",
      "connecting→waiting",
      "waiting→connecting",
      "connecting→online",
      "online→idle",
    ]);
    for (const step of transitions) {
      const [from, to] = step.split("→") as [keyof typeof SSE_TRANSITIONS, keyof typeof SSE_TRANSITIONS];
      expect(SSE_TRANSITIONS[from]).toContain(to);
    }
    expect(clock.pending).toBe(0);
  });
});
