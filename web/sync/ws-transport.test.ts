import { beforeEach, describe, expect, it, vi } from "vitest";
import { LIVENESS_MISSES, type Entry, type Hello, type SocketAuth } from "../../shared/protocol/index.js";
import { NetworkError, decide } from "../api/errors.js";
import { RECONNECT_BACKOFF } from "./backoff.js";
import { FakeClock, settle } from "./fake-clock.js";
import { HEARTBEAT_TIMINGS } from "./heartbeat.js";
import { TransportLog } from "./transport-log.js";
import type { TransportHandlers } from "./transport.js";
import { WS_TIMINGS, WsTransport, socketIo, toCourierError, type WsSocket } from "./ws-transport.js";

// ── the real socket.io client, replaced for the adapter's tests ───────────

const sio = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => void;
  class Emitter {
    listeners = new Map<string, Listener[]>();
    on(event: string, listener: Listener): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    fire(event: string, ...args: unknown[]): void {
      for (const listener of this.listeners.get(event) ?? []) listener(...args);
    }
    removeAllListeners(): this {
      this.listeners.clear();
      return this;
    }
  }
  class MockSocket extends Emitter {
    connected = false;
    active = true;
    disconnected = false;
    readonly engine = new Emitter();
    readonly io = { engine: null as Emitter | null };
    readonly emitted: unknown[][] = [];
    constructor(
      readonly url: string | undefined,
      readonly options: Record<string, unknown>,
    ) {
      super();
    }
    connect(): this {
      this.io.engine = this.engine;
      return this;
    }
    timeout(ms: number) {
      return { emitWithAck: async (...args: unknown[]) => ({ ok: true, ms, args }) };
    }
    emit(...args: unknown[]): this {
      this.emitted.push(args);
      return this;
    }
    disconnect(): this {
      this.disconnected = true;
      return this;
    }
  }
  const sockets: MockSocket[] = [];
  return {
    sockets,
    io: (...args: unknown[]) => {
      const [url, options] = typeof args[0] === "string" ? [args[0], args[1]] : [undefined, args[0]];
      const socket = new MockSocket(url, options as Record<string, unknown>);
      sockets.push(socket);
      return socket;
    },
  };
});
vi.mock("socket.io-client", () => ({ io: sio.io }));

// ── a socket the test plays the server for ─────────────────────────────

const DEVICE = "8a6f2b7e-1c1d-4d7e-9b7a-2f0c8e5d4a31";
const H = 10_000;
const hello: Hello = { userId: "u1", deviceId: DEVICE, heads: { chat: 3, system: 0, marketing: 0 }, ring: 2000, heartbeatMs: H, transport: "ws" };
const entry = (v: number): Entry => ({ d: "chat", v, k: "notice", at: 0, data: {} });
const { baseMs, capMs, hiddenCapMs } = RECONNECT_BACKOFF;
const BURST_WINDOW = LIVENESS_MISSES * Math.max(HEARTBEAT_TIMINGS.burstGapMs, HEARTBEAT_TIMINGS.minIntervalMs);

interface Pending {
  event: string;
  payload: unknown;
  timeoutMs: number;
  resolve(answer: unknown): void;
}

class FakeSocket implements WsSocket {
  connected = false;
  closed = false;
  connects = 0;
  /** Heartbeats are answered at once while true; otherwise they hang like requests on a dead link. */
  answersHeartbeats = true;
  heartbeats: number[] = [];
  readonly pending: Pending[] = [];
  readonly emitted: Array<{ event: string; payload: unknown }> = [];
  private readonly events = new Map<string, Array<(data: unknown) => void>>();
  private readonly connectErrors: Array<(error: Error & { data?: unknown }, refused: boolean) => void> = [];
  private readonly closes: Array<(reason: string) => void> = [];
  private readonly receives: Array<() => void> = [];

  constructor(readonly auth: SocketAuth) {}

  onEvent(event: string, listener: (data: unknown) => void): void {
    this.events.set(event, [...(this.events.get(event) ?? []), listener]);
  }
  onConnectError(listener: (error: Error & { data?: unknown }, refused: boolean) => void): void {
    this.connectErrors.push(listener);
  }
  onClose(listener: (reason: string) => void): void {
    this.closes.push(listener);
  }
  onReceive(listener: () => void): void {
    this.receives.push(listener);
  }
  connect(): void {
    this.connects++;
  }
  request(event: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    if (event === "heartbeat") this.heartbeats.push(clock.now());
    return new Promise((resolve) => {
      if (event === "heartbeat" && this.answersHeartbeats) {
        this.received();
        return resolve({ ok: true, at: clock.now() });
      }
      this.pending.push({ event, payload, timeoutMs, resolve });
    });
  }
  emit(event: string, payload: unknown): void {
    this.emitted.push({ event, payload });
  }
  close(): void {
    this.closed = true;
    this.connected = false;
  }

  // The server's side. Events reach the transport even after close(): it must ignore a socket it let go.
  sayHello(data: unknown = hello): void {
    this.connected = true;
    this.received();
    this.fire("hello", data);
  }
  push(entries: Entry[]): void {
    this.received();
    this.fire("push", entries);
  }
  serverClose(info: unknown): void {
    this.received();
    this.fire("close", info);
    this.drop("io server disconnect");
  }
  refuse(data: unknown): void {
    const error = Object.assign(new Error("refused"), { data });
    for (const listener of this.connectErrors) listener(error, true);
  }
  networkError(): void {
    for (const listener of this.connectErrors) listener(new Error("websocket error"), false);
  }
  drop(reason = "transport close"): void {
    this.connected = false;
    for (const listener of this.closes) listener(reason);
  }
  /** Anything from the server (socket.io's own ping, say). */
  received(): void {
    for (const listener of this.receives) listener();
  }
  private fire(event: string, data: unknown): void {
    for (const listener of this.events.get(event) ?? []) listener(data);
  }
}

let clock: FakeClock;
let sockets: FakeSocket[];
let statuses: string[];
let hellos: Hello[];
let pushed: number[];
let refusals: string[];
let transitions: string[];
let log: TransportLog;

function handlers(): TransportHandlers {
  return {
    cursor: () => ({ chat: 0, system: 0, marketing: 0 }),
    onHello: (h) => hellos.push(h),
    onPush: (entries) => pushed.push(...entries.map((e) => e.v)),
    onStatus: (s) => statuses.push(s),
    onRefused: (code) => refusals.push(code),
  };
}

function transport(random: () => number = () => 0.5): WsTransport {
  return new WsTransport({
    deviceId: DEVICE,
    clock,
    random,
    log,
    onTransition: (from, to) => transitions.push(`${from}→${to}`),
    openSocket: (auth) => {
      const socket = new FakeSocket(auth);
      sockets.push(socket);
      return socket;
    },
  });
}

const latest = (): FakeSocket => sockets.at(-1)!;

/** Connected, greeted, the burst answered. */
async function online(ws: WsTransport): Promise<FakeSocket> {
  ws.connect(handlers());
  latest().sayHello();
  await clock.advanceAsync(HEARTBEAT_TIMINGS.burstGapMs * (HEARTBEAT_TIMINGS.burstPings - 1));
  return latest();
}

beforeEach(() => {
  clock = new FakeClock(0);
  sockets = [];
  statuses = [];
  hellos = [];
  pushed = [];
  refusals = [];
  transitions = [];
  log = new TransportLog(200, () => clock.now(), () => clock.now());
  sio.sockets.length = 0;
});

describe("WsTransport: connecting", () => {
  it("opens a socket with the device id, says hello and hands pushes over", () => {
    const ws = transport();
    ws.connect(handlers());
    expect(latest().auth).toEqual({ deviceId: DEVICE, protocol: 1 });
    expect(latest().connects).toBe(1);
    expect(statuses).toEqual(["connecting"]);
    expect(ws.online).toBe(false);

    latest().push([entry(1)]); // before hello: not for a greeted connection
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    latest().sayHello({ userId: "u1" }); // malformed: ignored
    warn.mockRestore();
    expect(statuses).toEqual(["connecting"]);
    latest().sayHello();
    latest().push([entry(4), entry(5)]);
    expect(statuses).toEqual(["connecting", "online"]);
    expect(hellos).toEqual([hello]);
    expect(pushed).toEqual([4, 5]);
    expect(ws.online).toBe(true);
    ws.connect(handlers()); // a no-op while connected
    expect(sockets).toHaveLength(1);
  });

  it("fails requests fast while not online (the caller uses HTTP), and carries them once it is", async () => {
    const ws = transport();
    ws.connect(handlers());
    await expect(ws.pull({ d: "chat", after: 0 })).rejects.toBeInstanceOf(NetworkError);
    await expect(ws.ack({ chat: 1 })).rejects.toBeInstanceOf(NetworkError);
    latest().sayHello();

    const pulled = ws.pull({ d: "chat", after: 2 });
    const request = latest().pending.find((p) => p.event === "pull")!;
    expect(request.payload).toEqual({ d: "chat", after: 2 });
    expect(request.timeoutMs).toBe(WS_TIMINGS.requestTimeoutMs);
    request.resolve({ ok: true, d: "chat", entries: [entry(3)], head: 3, reset: false });
    expect((await pulled).entries).toEqual([entry(3)]);

    await ws.ack({ chat: 3 });
    expect(latest().emitted).toEqual([{ event: "ack", payload: { acks: { chat: 3 } } }]);

    const refused = ws.pull({ d: "chat", after: 0 });
    latest().pending.at(-1)!.resolve({ ok: false, error: { code: "rate_limited", message: "slow down", retryAfterMs: 900 } });
    await expect(refused).rejects.toMatchObject({ code: "rate_limited", retryAfterMs: 900 });
  });

  it("reports a socket closed before its handshake as offline at once, so the connection manager can fall back", () => {
    const ws = transport();
    ws.connect(handlers());
    latest().drop("transport close"); // a proxy refused the upgrade
    expect(statuses).toEqual(["connecting", "offline"]);
    expect(latest().closed).toBe(true);
    expect(ws.online).toBe(false);
  });

  it("abandons a connection that never says hello, and tries a fresh one", () => {
    const ws = transport();
    ws.connect(handlers());
    latest().connected = true; // the handshake went through; the hello never comes
    clock.advance(WS_TIMINGS.helloTimeoutMs - 1);
    expect(sockets[0]!.closed).toBe(false);
    clock.advance(1);
    expect(sockets[0]!.closed).toBe(true);
    expect(statuses.at(-1)).toBe("offline");
    clock.advance(baseMs);
    expect(sockets).toHaveLength(2);
  });

  it("reports a refused handshake and waits as long as the refusal asks", () => {
    const ws = transport(() => 0);
    ws.connect(handlers());
    latest().refuse({ code: "rate_limited", message: "Too many connections", retryAfterMs: 3_000 });
    expect(refusals).toEqual(["rate_limited"]);
    expect(statuses).toEqual(["connecting", "offline"]);
    ws.wake(); // not even a wake-up comes back earlier
    clock.advance(2_999);
    expect(sockets).toHaveLength(1);
    clock.advance(1);
    expect(sockets).toHaveLength(2);

    latest().refuse({ code: "unauthorized", message: "Sign in again" });
    expect(refusals).toEqual(["rate_limited", "unauthorized"]);
  });

  it(`backs off with full jitter up to ${capMs / 1000} s while visible and ${hiddenCapMs / 1000} s while hidden`, () => {
    const ws = transport(() => 1);
    ws.connect(handlers());
    const delays: number[] = [];
    const fail = () => {
      latest().networkError();
      const before = sockets.length;
      let waited = 0;
      while (sockets.length === before) {
        clock.advance(100);
        waited += 100;
      }
      delays.push(waited);
    };
    for (let i = 0; i < 6; i++) fail();
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);
    ws.setHidden(true);
    delays.length = 0;
    for (let i = 0; i < 2; i++) fail();
    expect(delays).toEqual([30_000, 30_000]);
  });

  it("wake() while waiting reconnects at once", () => {
    const ws = transport();
    ws.connect(handlers());
    latest().networkError();
    expect(sockets).toHaveLength(1);
    ws.wake();
    expect(sockets).toHaveLength(2);
    ws.wake(); // connecting: nothing to skip
    expect(sockets).toHaveLength(2);
  });
});

describe("WsTransport: liveness", () => {
  it("pings with the heartbeat event: a burst after hello, then every H/2 while visible and every H while hidden", async () => {
    const ws = transport();
    const socket = await online(ws);
    await clock.advanceAsync(H);
    expect(socket.heartbeats).toEqual([0, 1_000, 2_000, 7_000, 12_000]);
    ws.setHidden(true);
    await clock.advanceAsync(2 * H);
    expect(socket.heartbeats.slice(5)).toEqual([22_000, 32_000]);
  });

  it("visible again (wake) pings at once", async () => {
    const ws = transport();
    const socket = await online(ws);
    await clock.advanceAsync(3_000);
    ws.wake();
    expect(socket.heartbeats.at(-1)).toBe(5_000);
  });

  it(`replaces a dead link within ${LIVENESS_MISSES} intervals: closed, logged, a fresh socket and a new hello`, async () => {
    const ws = transport();
    const first = await online(ws);
    first.answersHeartbeats = false; // half-open: nothing comes back any more
    const lastSign = clock.now();
    await clock.advanceAsync(LIVENESS_MISSES * (H / 2) - 1);
    expect(first.closed).toBe(false);
    await clock.advanceAsync(1);
    expect(first.closed).toBe(true);
    expect(statuses.at(-1)).toBe("offline");
    expect(log.list()).toEqual([
      { name: "ws", event: "dead", detail: `no sign of life for ${LIVENESS_MISSES * (H / 2)} ms`, at: lastSign + LIVENESS_MISSES * (H / 2), sinceLoadMs: lastSign + LIVENESS_MISSES * (H / 2) },
    ]);

    await clock.advanceAsync(baseMs * 0.5); // the link had proved itself: the backoff starts from the base
    expect(sockets).toHaveLength(2);
    latest().sayHello();
    expect(hellos).toHaveLength(2);
    expect(statuses).toEqual(["connecting", "online", "offline", "connecting", "online"]);

    first.push([entry(9)]); // the dead socket is ignored from now on
    first.sayHello();
    expect(pushed).toEqual([]);
    expect(hellos).toHaveLength(2);
  });

  it("logs a link socket.io's own ping check found dead first as dead too", async () => {
    const ws = transport();
    const socket = await online(ws);
    await clock.advanceAsync(3_000);
    socket.drop("ping timeout");
    expect(log.list().map((e) => `${e.event}: ${e.detail}`)).toEqual(["dead: no sign of life for 3000 ms"]);
    socket.sayHello(); // ignored: replaced
    await clock.advanceAsync(capMs);
    expect(sockets).toHaveLength(2);
  });

  it("finds a link that dies right after hello within seconds (the burst)", async () => {
    const ws = transport();
    ws.connect(handlers());
    latest().answersHeartbeats = false;
    latest().sayHello();
    await clock.advanceAsync(BURST_WINDOW);
    expect(sockets[0]!.closed).toBe(true);
    expect(log.list().map((e) => e.event)).toEqual(["dead"]);
  });

  it("counts anything received as a sign of life: socket.io's own pings keep a link whose heartbeats go unanswered", async () => {
    const ws = transport();
    const socket = await online(ws);
    socket.answersHeartbeats = false; // say, a server without the extension
    for (let t = 0; t < 10 * H; t += H / 2) {
      await clock.advanceAsync(H / 2);
      socket.received();
    }
    expect(socket.closed).toBe(false);
    expect(ws.online).toBe(true);
  });

  it("a server going away with retryAfterMs is not reconnected to earlier, not even on wake()", async () => {
    const ws = transport(() => 0);
    const socket = await online(ws);
    socket.serverClose({ reason: "shutdown", retryAfterMs: 8_000 });
    expect(socket.closed).toBe(true);
    expect(statuses.at(-1)).toBe("offline");
    expect(refusals).toEqual([]); // a shutdown is no refusal
    await clock.advanceAsync(1_000);
    ws.wake();
    await clock.advanceAsync(6_999);
    expect(sockets).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(sockets).toHaveLength(2);
  });

  it("reports the server's close for a logout or a removed device as refused", async () => {
    const ws = transport();
    const socket = await online(ws);
    socket.serverClose({ reason: "logout" });
    expect(refusals).toEqual(["unauthorized"]);
    expect(socket.closed).toBe(true);
  });

  it("reports a close for too many connections as refused, for the sync client to stop rather than fight another tab", async () => {
    const ws = transport();
    const socket = await online(ws);
    socket.serverClose({ reason: "too_many_connections" });
    expect(refusals).toEqual(["too_many_connections"]);
    expect(socket.closed).toBe(true);
    expect(statuses.at(-1)).toBe("offline");
  });

  it("reconnects after the server drops a link on its own (no socket.io reconnection to count on)", async () => {
    const ws = transport();
    const socket = await online(ws);
    socket.drop("io server disconnect");
    expect(statuses.at(-1)).toBe("offline");
    await clock.advanceAsync(capMs);
    expect(sockets).toHaveLength(2);
  });

  it("after close() calls no handler, opens nothing and leaves nothing running", async () => {
    const ws = transport();
    const socket = await online(ws);
    ws.close();
    expect(socket.closed).toBe(true);
    socket.sayHello();
    socket.push([entry(1)]);
    socket.drop();
    ws.wake();
    await clock.advanceAsync(10 * H);
    expect(sockets).toHaveLength(1);
    expect(statuses).toEqual(["connecting", "online"]);
    expect(hellos).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it("moves only along its table", async () => {
    const ws = transport();
    const socket = await online(ws);
    socket.answersHeartbeats = false;
    await clock.advanceAsync(H);
    await clock.advanceAsync(baseMs);
    latest().sayHello();
    latest().sayHello(); // a repeated hello restarts the heartbeat
    ws.close();
    expect(transitions).toEqual(["idle→connecting", "connecting→online", "online→waiting", "waiting→connecting", "connecting→online", "online→online", "online→idle"]);
  });
});

describe("socketIo: the socket.io client behind WsSocket", () => {
  it("never reconnects by itself: one fresh manager per attempt, WebSocket only, with the handshake auth", () => {
    socketIo("https://courier.test", 8_000)({ deviceId: DEVICE, protocol: 1 });
    expect(sio.sockets[0]!.url).toBe("https://courier.test");
    expect(sio.sockets[0]!.options).toMatchObject({
      path: "/socket.io",
      transports: ["websocket"],
      auth: { deviceId: DEVICE, protocol: 1 },
      reconnection: false,
      forceNew: true,
      autoConnect: false,
      timeout: 8_000,
    });
  });

  it("tells refusals from network errors, reports the engine's packets and close, and goes quiet once closed", async () => {
    const link = socketIo(undefined, 8_000)({ deviceId: DEVICE, protocol: 1 });
    const mock = sio.sockets[0]!;
    const seen: string[] = [];
    link.onEvent("hello", () => seen.push("hello"));
    link.onConnectError((_error, refused) => seen.push(refused ? "refused" : "network"));
    link.onClose((reason) => seen.push(`close:${reason}`));
    link.onReceive(() => seen.push("packet"));
    link.connect();
    mock.fire("connect_error", new Error("websocket error"));
    mock.active = false; // the middleware's refusal destroys the socket
    mock.fire("connect_error", Object.assign(new Error("nope"), { data: { code: "unauthorized" } }));
    mock.engine.fire("packet", { type: "ping" });
    mock.fire("hello", hello);
    mock.engine.fire("close", "transport close");
    mock.fire("disconnect", "transport close");
    expect(seen).toEqual(["network", "refused", "packet", "hello", "close:transport close", "close:transport close"]);
    expect(await link.request("heartbeat", {}, 1_234)).toMatchObject({ ok: true, ms: 1_234, args: ["heartbeat", {}] });

    // A refusal: socket.io closes the engine itself ("forced close") before it emits connect_error.
    seen.length = 0;
    mock.engine.fire("close", "forced close");
    mock.fire("connect_error", Object.assign(new Error("nope"), { data: { code: "conflict" } }));
    expect(seen).toEqual(["refused"]);

    link.close();
    expect(mock.disconnected).toBe(true);
    seen.length = 0;
    mock.engine.fire("packet", { type: "message" });
    mock.engine.fire("close", "forced close");
    expect(seen).toEqual([]);
    await settle();
  });
});

describe("WebSocket acknowledgement errors", () => {
  it("carry the server's retryAfterMs for a rate limit, as HTTP's Retry-After does", () => {
    const error = toCourierError({ code: "rate_limited", message: "Too many messages; try again in 2 s.", retryAfterMs: 1_500 });
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfterMs).toBe(1_500);
    expect(decide(error)).toBe("retry");
  });

  it("keep a reason this client knows, and drop one it does not", () => {
    expect(toCourierError({ code: "forbidden", message: "You can't message this person.", reason: "blocked" }).reason).toBe("blocked");
    expect(toCourierError({ code: "forbidden", message: "Newer.", reason: "from_the_future" }).reason).toBeUndefined();
    expect(toCourierError({ code: "forbidden", message: "Older." }).reason).toBeUndefined();
  });

  it("ignore a missing or nonsensical wait", () => {
    expect(toCourierError({ code: "rate_limited", message: "slow down" }).retryAfterMs).toBeUndefined();
    expect(toCourierError({ code: "rate_limited", message: "slow down", retryAfterMs: "soon" }).retryAfterMs).toBeUndefined();
    expect(toCourierError({ code: "rate_limited", message: "slow down", retryAfterMs: -1 }).retryAfterMs).toBeUndefined();
  });
});
