import { io, type Socket } from "socket.io-client";
import {
  CourierError,
  SOCKET_PATH,
  helloSchema,
  isErrorCode,
  pullResponseSchema,
  type AckResult,
  type ClientToServerEvents,
  type ErrorInfo,
  type PullRequest,
  type PullResponse,
  type SendRequest,
  type ServerToClientEvents,
  type SocketAuth,
  type Versions,
} from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { anyMessageSchema, type AnyMessage } from "../api/lenient.js";
import { fullJitter } from "./backoff.js";
import type { Transport, TransportHandlers, TransportStatus } from "./transport.js";
import { validEntries } from "./wire.js";

export interface WsTransportOptions {
  deviceId: string;
  /** Server origin; same origin when omitted. */
  url?: string;
  /** How long a send or pull waits for the server's acknowledgement. */
  requestTimeoutMs?: number;
}

type CourierSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * socket.io transport. socket.io's manager reconnects by itself after a lost
 * link (exponential backoff with jitter); two cases it gives up on are ours
 * to handle: the server refusing the handshake and the server closing the
 * socket (e.g. logout elsewhere). We retry those with our own backoff, after
 * telling the sync client, which checks whether the session is still good.
 *
 *            connect()                    hello
 *   (idle) ────────────▶ connecting ───────────────▶ online ◀──┐
 *                          ▲    │                      │       │ hello
 *                  wake()  │    │ connect_error        ▼       │
 *                          └────┴───────────────── offline ────┘
 *                                                (retrying quietly)
 */
export class WsTransport implements Transport {
  readonly name = "ws" as const;
  private socket: CourierSocket | null = null;
  private handlers: TransportHandlers | null = null;
  private status: TransportStatus | null = null;
  private greeted = false;
  private refusals = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly requestTimeoutMs: number;

  constructor(private readonly opts: WsTransportOptions) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  private readonly watchedEngines = new WeakSet<object>();

  get online(): boolean {
    return this.greeted && this.socket?.connected === true;
  }

  connect(handlers: TransportHandlers): void {
    if (this.socket) return;
    this.handlers = handlers;
    const auth: SocketAuth = { deviceId: this.opts.deviceId, protocol: 1 };
    const options = {
      path: SOCKET_PATH,
      transports: ["websocket"],
      auth,
      withCredentials: true,
      autoConnect: false,
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      randomizationFactor: 0.5,
      // Handshake deadline: some failures (a proxy that swallows the upgrade) give no error event.
      timeout: 8_000,
    };
    const socket: CourierSocket = this.opts.url ? io(this.opts.url, options) : io(options);
    this.socket = socket;

    socket.on("hello", (raw) => {
      const hello = helloSchema.safeParse(raw);
      if (!hello.success) {
        console.warn("courier: malformed hello", hello.error.issues[0]);
        return;
      }
      this.greeted = true;
      this.refusals = 0;
      this.setStatus("online");
      this.handlers?.onHello(hello.data);
    });
    socket.on("push", (raw) => {
      const entries = validEntries(raw);
      if (entries.length > 0) this.handlers?.onPush(entries);
    });
    socket.on("disconnect", (reason) => {
      this.greeted = false;
      this.setStatus("offline");
      // NOTE: after a server-side disconnect socket.io does not reconnect by itself.
      if (reason === "io server disconnect") this.retryLater();
    });
    socket.on("connect_error", (error: Error & { data?: unknown }) => {
      this.greeted = false;
      this.setStatus("offline");
      // socket.active is false when the server's middleware refused us
      // (socket.io will not retry); true for network errors it will retry.
      if (!socket.active) {
        this.handlers?.onRefused(refusalCode(error));
        this.retryLater();
      }
    });
    // socket.io's own reconnects create a new engine each time: watch it too.
    socket.io.on("reconnect_attempt", () => queueMicrotask(() => this.watchEngine(socket)));
    this.setStatus("connecting");
    socket.connect();
    this.watchEngine(socket);
  }

  wake(): void {
    const socket = this.socket;
    if (!socket || socket.connected) return;
    // Restart the attempt now rather than after the remaining backoff.
    this.clearRetry();
    socket.disconnect();
    this.setStatus("connecting");
    socket.connect();
    this.watchEngine(socket);
  }

  /**
   * NOTE: a WebSocket closed before the engine.io handshake (a proxy that
   * refuses the upgrade) raises no connect_error until socket.io's own
   * timeout: watch each attempt's engine and report the failure at once, so
   * the connection manager can fall back without waiting.
   */
  private watchEngine(socket: CourierSocket): void {
    const engine = socket.io.engine;
    if (!engine || this.watchedEngines.has(engine)) return;
    this.watchedEngines.add(engine);
    engine.on("close", () => {
      if (this.socket === socket && !this.greeted) this.setStatus("offline");
    });
  }

  close(): void {
    this.clearRetry();
    const socket = this.socket;
    this.socket = null;
    this.handlers = null;
    this.greeted = false;
    if (socket) {
      socket.removeAllListeners();
      socket.io.removeAllListeners();
      socket.disconnect();
    }
  }

  async send(request: SendRequest): Promise<AnyMessage> {
    const res = await this.request(() => this.connected().timeout(this.requestTimeoutMs).emitWithAck("send", request), "send");
    const message = anyMessageSchema.safeParse(res.message);
    if (!message.success) throw new CourierError("internal", "Unexpected send acknowledgement");
    return message.data;
  }

  async pull(request: PullRequest): Promise<PullResponse> {
    const res = await this.request(() => this.connected().timeout(this.requestTimeoutMs).emitWithAck("pull", request), "pull");
    const { ok: _ok, ...body } = res;
    const parsed = pullResponseSchema.safeParse(body);
    if (!parsed.success) throw new CourierError("internal", "Unexpected pull acknowledgement");
    return parsed.data;
  }

  async ack(acks: Partial<Versions>): Promise<void> {
    // Fire-and-forget: acks never move backwards and the engine re-sends.
    this.connected().emit("ack", { acks });
  }

  // ── internals ──────────────────────────────────────────────────────────

  private connected(): CourierSocket {
    // NOTE: socket.io would buffer emits while disconnected and replay them
    // later; we would rather fail fast and let the caller use HTTP.
    if (!this.socket?.connected) throw new NetworkError("WebSocket not connected");
    return this.socket;
  }

  private async request<T extends object>(emit: () => Promise<AckResult<T>>, what: string): Promise<{ ok: true } & T> {
    let res: AckResult<T>;
    try {
      res = await emit();
    } catch (error) {
      if (error instanceof NetworkError) throw error;
      throw NetworkError.timeout(`WebSocket ${what}`);
    }
    if (res && typeof res === "object" && res.ok === true) return res;
    throw toCourierError(res && typeof res === "object" && "error" in res ? res.error : undefined);
  }

  private setStatus(status: TransportStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.handlers?.onStatus(status);
  }

  private retryLater(): void {
    this.clearRetry();
    const delay = fullJitter(this.refusals++, 1_000, 30_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.socket || this.socket.connected) return;
      this.socket.connect();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

/** An `{ok: false, error}` acknowledgement as a CourierError; `retryAfterMs` (extension) is the socket's Retry-After. */
export function toCourierError(info: (ErrorInfo & { retryAfterMs?: unknown }) | undefined): CourierError {
  if (!info) return new CourierError("internal", "Malformed acknowledgement");
  const wait = info.retryAfterMs;
  const retryAfterMs = typeof wait === "number" && Number.isFinite(wait) && wait > 0 ? wait : undefined;
  return new CourierError(isErrorCode(info.code) ? info.code : "internal", info.message, retryAfterMs);
}

/** The server's middleware puts `{code, message}` in `data`; anything else is "internal". */
function refusalCode(error: Error & { data?: unknown }): string {
  const data = error.data;
  if (data && typeof data === "object" && "code" in data && typeof data.code === "string") return data.code;
  return /unauthori[sz]ed/i.test(error.message) ? "unauthorized" : "internal";
}
