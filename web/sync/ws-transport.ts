import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import {
  CourierError,
  SOCKET_PATH,
  helloSchema,
  isErrorCode,
  isErrorReason,
  pullResponseSchema,
  streamCloseSchema,
  type ClientToServerEvents,
  type ErrorInfo,
  type PingRequest,
  type PullRequest,
  type PullResponse,
  type SendRequest,
  type ServerToClientEvents,
  type SocketAuth,
  type TypingRequest,
  type Versions,
} from "../../shared/protocol/index.js";
import { systemClock, type Clock } from "../../shared/sync/types.js";
import { NetworkError } from "../api/errors.js";
import { anyMessageSchema, type AnyMessage } from "../api/lenient.js";
import { unreachable } from "../lib/unreachable.js";
import { Reconnector, retryAfterIn } from "./backoff.js";
import { Heartbeat } from "./heartbeat.js";
import { LinkMachine, type TransitionTable } from "./link-machine.js";
import type { LinkOptions } from "./link-options.js";
import { recordDead } from "./transport-log.js";
import { TransportBase } from "./transport-base.js";
import { refusalOf, type Transport, type TransportHandlers } from "./transport.js";
import { validEntries, validTyping } from "./wire.js";

export interface WsTimings {
  /** A connection that has not said hello by then (handshake included) is abandoned and replaced. */
  helloTimeoutMs: number;
  /** socket.io's handshake deadline: some failures (a proxy that swallows the upgrade) give no error event. */
  handshakeTimeoutMs: number;
  /** How long a send, pull or heartbeat waits for the server's acknowledgement. */
  requestTimeoutMs: number;
}

export const WS_TIMINGS: WsTimings = {
  helloTimeoutMs: 10_000,
  handshakeTimeoutMs: 8_000,
  requestTimeoutMs: 10_000,
};

/**
 * One socket.io connection, narrowed to what this transport uses. Each
 * connection attempt gets a fresh one (`openSocket`); tests pass a fake.
 */
export interface WsSocket {
  /** The socket.io handshake is done and the link is up. */
  readonly connected: boolean;
  /** Server events: `hello`, `push`, and the extension `close` (sent right before the server drops us on purpose). */
  onEvent(event: "hello" | "push" | "close" | "typing", listener: (data: unknown) => void): void;
  /** The handshake failed; `refused` when the server's middleware said no (`error.data`: `{code, message, retryAfterMs?}`). */
  onConnectError(listener: (error: Error & { data?: unknown }, refused: boolean) => void): void;
  /** The link is gone, before the handshake (the engine closed: a proxy that refuses the upgrade) or after it. */
  onClose(listener: (reason: string) => void): void;
  /** Anything received on the connection, socket.io's own pings included: a sign of life. */
  onReceive(listener: () => void): void;
  connect(): void;
  /** An acknowledged request; rejects when it is not answered within `timeoutMs`. */
  request(event: "send" | "pull" | "heartbeat", payload: unknown, timeoutMs: number): Promise<unknown>;
  /** Fire-and-forget. */
  emit(event: "ack" | "typing", payload: unknown): void;
  /** Drops the connection. No listener is called after this. */
  close(): void;
}

export type OpenSocket = (auth: SocketAuth) => WsSocket;

export interface WsTransportOptions extends LinkOptions {
  deviceId: string;
  /** Server origin; same origin when omitted. */
  url?: string;
  openSocket?: OpenSocket;
  timings?: Partial<WsTimings>;
}

type WsState =
  | { name: "idle" }
  | { name: "connecting"; attempt: number; socket: WsSocket; deadline: unknown }
  | { name: "online"; attempt: number; socket: WsSocket; heartbeat: Heartbeat }
  | { name: "waiting" };

/** The legal moves of the diagram below; close() (any state → idle) is not drawn. */
export const WS_TRANSITIONS: TransitionTable<WsState["name"]> = {
  idle: ["connecting", "waiting"],
  connecting: ["online", "waiting", "idle"],
  online: ["online", "waiting", "idle"],
  waiting: ["connecting", "waiting", "idle"],
};

/**
 * socket.io transport. socket.io's own reconnection is off: every attempt is
 * a fresh socket, so a replaced link is a new connection with a new hello
 * (the sync engine then pulls from its consumed versions), its events can be
 * told from a dead one's, and the backoff and the server's `retryAfterMs`
 * are ours to obey.
 *
 *            connect()                hello                  hello again
 *   (idle) ───────────▶ connecting ───────────▶ online ◀──┐ (a new heartbeat)
 *      │                 ▲     │                 │  │  └──────┘
 *      │ cannot open     │     │ connect_error,  │  │
 *      │  timer, wake()  │     │ closed, no hello│  │ disconnect, close event,
 *      ▼                 │     ▼ in helloTimeout │  │ dead (no sign of life)
 *      └────────────▶ waiting ◀──────────────────┴──┘
 *                      └─┘ cannot open again
 *
 * waiting: the backoff (Reconnector), never shorter than the server's
 * retryAfterMs; a wake() before that runs out waits out the rest.
 *
 * Online, a heartbeat (heartbeat.ts) pings with the `heartbeat` event;
 * anything received is a sign of life (socket.io's pings every H included).
 * A refused handshake is reported (onRefused) and retried patiently (the
 * sync client checks whether the session is still good). A socket closed
 * before the handshake (a proxy that refuses the upgrade) is reported as
 * offline at once, so the connection manager can fall back without waiting.
 */
export class WsTransport extends TransportBase implements Transport {
  readonly name = "ws" as const;
  private readonly machine: LinkMachine<WsState>;
  private hidden = false;
  private attempts = 0;
  private readonly clock: Clock;
  private readonly timings: WsTimings;
  private readonly reconnect: Reconnector;
  private readonly openSocket: OpenSocket;

  constructor(private readonly opts: WsTransportOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.timings = { ...WS_TIMINGS, ...opts.timings };
    this.reconnect = new Reconnector(() => this.open(), { clock: this.clock, random: opts.random, timings: opts.backoff });
    this.openSocket = opts.openSocket ?? socketIo(opts.url, this.timings.handshakeTimeoutMs);
    this.machine = new LinkMachine<WsState>({
      label: "ws",
      initial: { name: "idle" },
      transitions: WS_TRANSITIONS,
      onTransition: opts.onTransition ?? null,
    });
  }

  get online(): boolean {
    const state = this.machine.state;
    return state.name === "online" && state.socket.connected;
  }

  connect(handlers: TransportHandlers): void {
    if (this.machine.state.name !== "idle") return;
    this.handlers = handlers;
    this.reconnect.reset();
    this.open();
  }

  wake(): void {
    const state = this.machine.state;
    if (state.name === "online") state.heartbeat.pingNow();
    else if (state.name === "waiting") this.reconnect.hurry();
  }

  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    this.reconnect.setHidden(hidden);
    const state = this.machine.state;
    if (state.name === "online") state.heartbeat.setHidden(hidden);
  }

  close(): void {
    this.detach();
    if (this.machine.state.name !== "idle") this.to({ name: "idle" });
  }

  async send(request: SendRequest): Promise<AnyMessage> {
    const res = await this.request("send", request);
    const message = anyMessageSchema.safeParse(res.message);
    if (!message.success) throw new CourierError("internal", "Unexpected send acknowledgement");
    return message.data;
  }

  async pull(request: PullRequest): Promise<PullResponse> {
    const { ok: _ok, ...body } = await this.request("pull", request);
    const parsed = pullResponseSchema.safeParse(body);
    if (!parsed.success) throw new CourierError("internal", "Unexpected pull acknowledgement");
    return parsed.data;
  }

  async ack(acks: Partial<Versions>): Promise<void> {
    // Fire-and-forget: acks never move backwards and the engine re-sends.
    this.connected().emit("ack", { acks });
  }

  async typing(conversationId: string): Promise<void> {
    // Fire-and-forget: typing is lossy; the next keystrokes signal again.
    const payload: TypingRequest = { conversationId };
    this.connected().emit("typing", payload);
  }

  // ── one connection ─────────────────────────────────────────────────────

  private open(): void {
    if (!this.handlers) return;
    const attempt = ++this.attempts;
    let socket: WsSocket;
    try {
      socket = this.openSocket({ deviceId: this.opts.deviceId, protocol: 1 });
    } catch (error) {
      console.warn("courier: could not open the WebSocket", error);
      return this.retryLater({});
    }
    /** Only the current connection's events count; a replaced one's are dropped. */
    const ours =
      <A extends unknown[]>(listener: (...args: A) => void) =>
      (...args: A): void => {
        if (this.isCurrent(attempt)) listener(...args);
      };
    socket.onEvent("hello", ours((data) => this.onHello(data)));
    socket.onEvent("push", ours((data) => this.onPush(data)));
    socket.onEvent("close", ours((data) => this.onCloseEvent(attempt, data)));
    socket.onEvent(
      "typing",
      ours((data) => {
        const frame = this.machine.state.name === "online" ? validTyping(data) : null;
        if (frame) this.handlers?.onTyping?.(frame);
      }),
    );
    socket.onReceive(ours(() => this.alive()));
    socket.onConnectError(ours((error, refused) => this.onConnectError(attempt, error, refused)));
    socket.onClose(ours((reason) => this.onClosed(reason)));
    const deadline = this.clock.setTimeout(
      ours(() => this.retryLater({})),
      this.timings.helloTimeoutMs,
    );
    this.to({ name: "connecting", attempt, socket, deadline });
    this.setStatus("connecting");
    socket.connect();
  }

  private onHello(data: unknown): void {
    const hello = helloSchema.safeParse(data);
    const state = this.machine.state;
    if (!hello.success) {
      console.warn("courier: malformed hello", hello.error.issues[0]);
      return;
    }
    if (state.name !== "connecting" && state.name !== "online") return;
    const { attempt, socket } = state;
    const heartbeat = new Heartbeat({
      heartbeatMs: hello.data.heartbeatMs,
      hidden: this.hidden,
      clock: this.clock,
      timings: this.opts.heartbeat,
      ping: (timeoutMs) => this.ping(attempt, socket, timeoutMs),
      onDead: (silentMs) => {
        if (!this.isCurrent(attempt)) return;
        recordDead(this.opts.log, this.name, silentMs);
        this.retryLater({});
      },
    });
    this.to({ name: "online", attempt, socket, heartbeat });
    heartbeat.start();
    this.setStatus("online");
    this.handlers?.onHello(hello.data);
  }

  /** Any answer proves the link both ways: the next failure backs off from the base again. */
  private async ping(attempt: number, socket: WsSocket, timeoutMs: number): Promise<boolean> {
    const payload: PingRequest = {};
    await socket.request("heartbeat", payload, timeoutMs);
    if (this.isCurrent(attempt)) this.reconnect.reset();
    return true;
  }

  private onPush(data: unknown): void {
    // The server says hello first; anything before it is not for a greeted connection.
    if (this.machine.state.name !== "online") return;
    this.alive();
    const entries = validEntries(data);
    if (entries.length > 0) this.handlers?.onPush(entries);
  }

  private alive(): void {
    const state = this.machine.state;
    if (state.name === "online") state.heartbeat.alive();
  }

  /** The server drops us on purpose: after a logout, this device's removal or too many connections, say so (refusalOf). */
  private onCloseEvent(attempt: number, data: unknown): void {
    const parsed = streamCloseSchema.safeParse(data);
    const refusal = refusalOf(parsed.success ? parsed.data.reason : null);
    if (refusal) {
      this.handlers?.onRefused(refusal);
      if (!this.isCurrent(attempt)) return; // the refusal closed us
    }
    this.retryLater({ retryAfterMs: parsed.success ? parsed.data.retryAfterMs : undefined, patient: refusal !== null });
  }

  private onConnectError(attempt: number, error: Error & { data?: unknown }, refused: boolean): void {
    if (refused) {
      this.handlers?.onRefused(refusalCode(error));
      if (!this.isCurrent(attempt)) return;
    }
    this.retryLater({ retryAfterMs: retryAfterIn(error.data), patient: refused });
  }

  private onClosed(reason: string): void {
    const state = this.machine.state;
    // socket.io's own check (the server's pings stopped coming) found the link dead before our heartbeat did.
    if (reason === "ping timeout" && state.name === "online") recordDead(this.opts.log, this.name, state.heartbeat.silentMs);
    this.retryLater({});
  }

  // ── reconnecting ───────────────────────────────────────────────────────

  /** Every lost or failed connection ends here: drop it, say offline, try again after the backoff. */
  private retryLater(opts: { retryAfterMs?: number | undefined; patient?: boolean }): void {
    if (!this.handlers) return;
    this.to({ name: "waiting" });
    this.reconnect.afterFailure(opts);
    this.setStatus("offline");
  }

  // ── requests ───────────────────────────────────────────────────────────

  private connected(): WsSocket {
    // NOTE: socket.io would buffer emits while disconnected and replay them
    // later; we would rather fail fast and let the caller use HTTP.
    const state = this.machine.state;
    if (state.name !== "online" || !state.socket.connected) throw new NetworkError("WebSocket not connected");
    return state.socket;
  }

  private async request(event: "send" | "pull", payload: unknown): Promise<{ ok: true } & Record<string, unknown>> {
    const socket = this.connected();
    let res: unknown;
    try {
      res = await socket.request(event, payload, this.timings.requestTimeoutMs);
    } catch {
      throw NetworkError.timeout(`WebSocket ${event}`);
    }
    if (isRecord(res) && res.ok === true) return res as { ok: true } & Record<string, unknown>;
    throw toCourierError(isRecord(res) && isRecord(res.error) ? (res.error as ErrorInfo) : undefined);
  }

  // ── state ──────────────────────────────────────────────────────────────

  private isCurrent(attempt: number): boolean {
    const state = this.machine.state;
    return this.handlers !== null && (state.name === "connecting" || state.name === "online") && state.attempt === attempt;
  }

  /** Moves to `next`, releasing what the state being left held (timers, the heartbeat, the socket unless kept). */
  private to(next: WsState): void {
    const previous = this.machine.to(next);
    const kept = "socket" in next ? next.socket : null;
    switch (previous.name) {
      case "idle":
        break;
      case "connecting":
        this.clock.clearTimeout(previous.deadline);
        if (previous.socket !== kept) previous.socket.close();
        break;
      case "online":
        if (!("heartbeat" in next) || next.heartbeat !== previous.heartbeat) previous.heartbeat.stop();
        if (previous.socket !== kept) previous.socket.close();
        break;
      case "waiting":
        this.reconnect.cancel();
        break;
      default:
        unreachable(previous);
    }
  }

}

type CourierSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The real thing: a socket.io client socket on its own manager, which never reconnects by itself. */
export function socketIo(url: string | undefined, handshakeTimeoutMs: number): OpenSocket {
  return (auth) => {
    const options: Partial<ManagerOptions & SocketOptions> = {
      path: SOCKET_PATH,
      transports: ["websocket"],
      auth,
      withCredentials: true,
      autoConnect: false,
      // Reconnecting is ours (WsTransport): a fresh socket and manager per attempt.
      reconnection: false,
      forceNew: true,
      timeout: handshakeTimeoutMs,
    };
    const socket: CourierSocket = url ? io(url, options) : io(options);
    let closed = false;
    const live =
      <A extends unknown[]>(listener: (...args: A) => void) =>
      (...args: A): void => {
        if (!closed) listener(...args);
      };
    const closeListeners: Array<(reason: string) => void> = [];
    const receiveListeners: Array<() => void> = [];
    const closedWith = live((reason: string) => {
      for (const listener of closeListeners) listener(reason);
    });
    socket.on("disconnect", (reason) => closedWith(reason));
    return {
      get connected() {
        return socket.connected;
      },
      onEvent(event, listener) {
        const guarded = live(listener);
        if (event === "hello") socket.on("hello", guarded);
        else if (event === "push") socket.on("push", guarded);
        else if (event === "typing") socket.on("typing", guarded);
        else socket.on("close", guarded);
      },
      onConnectError(listener) {
        // A refusal by the server's middleware destroys the socket (inactive); a network failure does not.
        socket.on(
          "connect_error",
          live((error: Error & { data?: unknown }) => listener(error, !socket.active)),
        );
      },
      onClose(listener) {
        closeListeners.push(listener);
      },
      onReceive(listener) {
        receiveListeners.push(listener);
      },
      connect() {
        socket.connect();
        // One engine per attempt (no reconnection): it exists once connect() returns.
        const engine = socket.io.engine;
        engine.on(
          "packet",
          live(() => {
            for (const listener of receiveListeners) listener();
          }),
        );
        // NOTE: a WebSocket closed before the engine.io handshake (a proxy that
        // refuses the upgrade) raises no connect_error until the handshake
        // timeout; the engine's close comes at once. A "forced close" is
        // socket.io closing the engine itself, always with a socket event of
        // its own: on a refusal it closes the engine *before* emitting
        // connect_error, which must not be taken for a plain lost link.
        engine.on("close", (reason) => {
          if (reason !== "forced close") closedWith(reason);
        });
      },
      request(event, payload, timeoutMs) {
        const timed = socket.timeout(timeoutMs);
        switch (event) {
          case "send":
            return timed.emitWithAck("send", payload);
          case "pull":
            return timed.emitWithAck("pull", payload);
          case "heartbeat":
            return timed.emitWithAck("heartbeat", payload);
          default:
            return unreachable(event);
        }
      },
      emit(event, payload) {
        socket.emit(event, payload);
      },
      close() {
        closed = true;
        socket.removeAllListeners();
        socket.disconnect();
      },
    };
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** An `{ok: false, error}` acknowledgement as a CourierError; `retryAfterMs` (extension) is the socket's Retry-After. */
export function toCourierError(info: (Omit<ErrorInfo, "reason"> & { retryAfterMs?: unknown; reason?: unknown }) | undefined): CourierError {
  if (!info) return new CourierError("internal", "Malformed acknowledgement");
  // `reason` (optional): kept when this client has words for it, else the code describes the error.
  const reason = typeof info.reason === "string" && isErrorReason(info.reason) ? info.reason : undefined;
  return new CourierError(isErrorCode(info.code) ? info.code : "internal", info.message, retryAfterIn(info), reason);
}

/** The server's middleware puts `{code, message}` in `data`; anything else is "internal". */
function refusalCode(error: Error & { data?: unknown }): string {
  const data = error.data;
  if (isRecord(data) && typeof data.code === "string") return data.code;
  return /unauthori[sz]ed/i.test(error.message) ? "unauthorized" : "internal";
}
