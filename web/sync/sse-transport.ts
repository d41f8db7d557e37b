import {
  CourierError,
  STREAM_PATH,
  formatCursor,
  helloSchema,
  streamCloseSchema,
  streamResetSchema,
  type PullRequest,
  type PullResponse,
  type SendRequest,
  type Versions,
} from "../../shared/protocol/index.js";
import { systemClock, type Clock } from "../../shared/sync/types.js";
import type { Api } from "../api/client.js";
import type { AnyMessage } from "../api/lenient.js";
import { unreachable } from "../lib/unreachable.js";
import { fullJitter } from "./backoff.js";
import type { Transport, TransportHandlers, TransportStatus } from "./transport.js";
import { parseJson, validEntries } from "./wire.js";

/** The part of EventSource we use; tests pass a fake. */
export interface EventStream {
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  close(): void;
}
export type OpenStream = (url: string) => EventStream;

export interface SseTimings {
  /** A stream that has not said hello by then is abandoned and retried (a buffering proxy). */
  helloTimeoutMs: number;
  /** Reconnect backoff (full jitter): base and cap. The cap matches socket.io's (ws-transport.ts): a link back after an outage is noticed within seconds. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Checking the session after a refused stream happens at most this often. */
  sessionCheckGapMs: number;
}

export const SSE_TIMINGS: SseTimings = {
  helloTimeoutMs: 10_000,
  retryBaseMs: 1_000,
  retryMaxMs: 5_000,
  sessionCheckGapMs: 30_000,
};

export interface SseTransportOptions {
  deviceId: string;
  /** Requests (send, pull, ack) and the session check go over HTTP. */
  api: Api;
  /** Server origin; same origin when empty. */
  base?: string;
  openStream?: OpenStream;
  clock?: Clock;
  random?: () => number;
  timings?: Partial<SseTimings>;
}

type SseState =
  | { name: "idle" }
  | { name: "connecting"; attempt: number; stream: EventStream; deadline: unknown }
  | { name: "online"; attempt: number; stream: EventStream; watchdog: unknown; silenceMs: number }
  | { name: "resetting"; attempt: number; wasOnline: boolean }
  | { name: "waiting"; timer: unknown };

/**
 * Server-Sent Events transport (`GET /api/stream`). Server → client only;
 * send, pull and ack go over HTTP.
 *
 *            connect()               hello                  push / ping (pet the watchdog)
 *   (idle) ───────────▶ connecting ─────────▶ online ◀──┐
 *                        ▲  │ error, no hello      │ │  └──────┘
 *                        │  │ in helloTimeoutMs    │ │ error, close event, silent
 *          timer, wake() │  ▼                      │ │ for 2 heartbeats
 *                       waiting ◀──────────────────┘ │
 *                      (backoff)                     │ reset event
 *                        ▲                           ▼
 *                        └── again and again ──── resetting ── snapshot taken ──▶ connecting
 *
 * NOTE: EventSource reconnects by itself with `Last-Event-ID`, which wins
 * over our `cursor` query: the server's position, not what we applied, and
 * after a `reset` one that no longer exists. So every stream is closed on
 * its first error and a new one opened with the consumed versions. Each
 * stream has an attempt id; events of an older one are ignored.
 *
 * EventSource cannot read an error response (401, 409 are JSON), so a stream
 * that fails before its hello makes us ask `/api/me` whether the session is
 * still good.
 */
export class SseTransport implements Transport {
  readonly name = "sse" as const;
  private state: SseState = { name: "idle" };
  private handlers: TransportHandlers | null = null;
  private status: TransportStatus | null = null;
  private attempts = 0;
  private failures = 0;
  private resets = 0;
  private lastSessionCheck = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly timings: SseTimings;
  private readonly openStream: OpenStream;

  constructor(private readonly opts: SseTransportOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.timings = { ...SSE_TIMINGS, ...opts.timings };
    this.openStream = opts.openStream ?? ((url) => new EventSource(url, { withCredentials: true }));
  }

  get online(): boolean {
    const state = this.state;
    // During a reset the snapshot runs over HTTP; the session is still ours.
    return state.name === "online" || (state.name === "resetting" && state.wasOnline);
  }

  connect(handlers: TransportHandlers): void {
    if (this.state.name !== "idle") return;
    this.handlers = handlers;
    this.failures = 0;
    this.resets = 0;
    this.open();
  }

  wake(): void {
    if (this.state.name === "waiting") this.open();
  }

  close(): void {
    this.handlers = null;
    this.status = null;
    this.to({ name: "idle" });
  }

  send(request: SendRequest): Promise<AnyMessage> {
    return this.opts.api.send(request);
  }
  pull(request: PullRequest): Promise<PullResponse> {
    return this.opts.api.pull(request);
  }
  ack(acks: Partial<Versions>): Promise<void> {
    return this.opts.api.ack(acks);
  }

  // ── one stream ─────────────────────────────────────────────────────────

  private open(): void {
    const handlers = this.handlers;
    if (!handlers) return;
    const attempt = ++this.attempts;
    const query = new URLSearchParams({ device: this.opts.deviceId, cursor: formatCursor(handlers.cursor()) });
    let stream: EventStream;
    try {
      stream = this.openStream(`${this.opts.base ?? ""}${STREAM_PATH}?${query}`);
    } catch (error) {
      console.warn("courier: could not open the event stream", error);
      return this.fail();
    }
    const on = (type: string, listener: (data: unknown) => void) =>
      stream.addEventListener(type, (event) => {
        if (this.isCurrent(attempt)) listener(event.data);
      });
    on("hello", (data) => this.onHello(data));
    on("push", (data) => this.onPushEvent(data));
    on("ping", () => this.alive());
    on("reset", (data) => this.onResetEvent(attempt, data));
    on("close", (data) => this.onCloseEvent(data));
    on("error", () => this.onError());
    const deadline = this.clock.setTimeout(() => {
      if (this.isCurrent(attempt)) this.fail();
    }, this.timings.helloTimeoutMs);
    this.to({ name: "connecting", attempt, stream, deadline });
    this.setStatus("connecting");
  }

  private onHello(data: unknown): void {
    const hello = helloSchema.safeParse(parseJson(data));
    if (!hello.success) {
      console.warn("courier: malformed hello", hello.error.issues[0]);
      return;
    }
    const state = this.state;
    if (state.name !== "connecting" && state.name !== "online") return;
    this.failures = 0;
    // tldraw's rule: two silent heartbeat intervals (plus travel time) and the link is dead.
    const silenceMs = 2 * hello.data.heartbeatMs + 5_000;
    this.to({ name: "online", attempt: state.attempt, stream: state.stream, silenceMs, watchdog: this.watch(state.attempt, silenceMs) });
    this.setStatus("online");
    this.handlers?.onHello(hello.data);
  }

  private onPushEvent(data: unknown): void {
    // The server says hello first; anything before it is not for a greeted connection.
    if (this.state.name !== "online") return;
    this.alive();
    const entries = validEntries(parseJson(data));
    if (entries.length > 0) this.handlers?.onPush(entries);
  }

  /** Any event on an online stream proves it alive. */
  private alive(): void {
    const state = this.state;
    if (state.name !== "online") return;
    this.resets = 0;
    this.clock.clearTimeout(state.watchdog);
    state.watchdog = this.watch(state.attempt, state.silenceMs);
  }

  private watch(attempt: number, silenceMs: number): unknown {
    return this.clock.setTimeout(() => {
      if (this.isCurrent(attempt)) this.fail();
    }, silenceMs);
  }

  private onResetEvent(attempt: number, data: unknown): void {
    const parsed = streamResetSchema.safeParse(parseJson(data));
    if (!parsed.success) {
      console.warn("courier: malformed reset event", parsed.error.issues[0]);
      return;
    }
    // Closing matters: the browser's own reconnect would resume from Last-Event-ID, the lost position.
    this.to({ name: "resetting", attempt, wasOnline: this.state.name === "online" });
    // A server that keeps saying reset (a snapshot that failed) is retried with backoff.
    const delay = this.resets === 0 ? 0 : fullJitter(this.resets - 1, this.timings.retryBaseMs, this.timings.retryMaxMs, this.random);
    this.resets++;
    Promise.resolve()
      .then(() => this.handlers?.onReset?.([parsed.data.d]))
      .catch((error: unknown) => console.warn("courier: snapshot after a stream reset failed", error))
      .then(() => {
        const state = this.state;
        if (state.name !== "resetting" || state.attempt !== attempt) return;
        if (delay === 0) return this.open();
        this.to({ name: "waiting", timer: this.clock.setTimeout(() => this.open(), delay) });
      });
  }

  private onCloseEvent(data: unknown): void {
    const parsed = streamCloseSchema.safeParse(parseJson(data));
    // Signed out (here or elsewhere) or this device removed: reconnecting would get a 401.
    if (parsed.success && parsed.data.reason !== "shutdown") this.handlers?.onRefused("unauthorized");
    this.fail();
  }

  private onError(): void {
    if (this.state.name === "connecting") void this.checkSession();
    this.fail();
  }

  /** Every lost stream ends here: close it, say offline, try again after a backoff. */
  private fail(): void {
    if (!this.handlers) return;
    const delay = fullJitter(this.failures++, this.timings.retryBaseMs, this.timings.retryMaxMs, this.random);
    this.to({
      name: "waiting",
      timer: this.clock.setTimeout(() => {
        if (this.state.name === "waiting") this.open();
      }, delay),
    });
    this.setStatus("offline");
  }

  private async checkSession(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastSessionCheck < this.timings.sessionCheckGapMs) return;
    this.lastSessionCheck = now;
    try {
      await this.opts.api.me();
    } catch (error) {
      // A network error proves nothing; the retries go on.
      if (error instanceof CourierError && error.code === "unauthorized") this.handlers?.onRefused(error.code);
    }
  }

  // ── state ──────────────────────────────────────────────────────────────

  private isCurrent(attempt: number): boolean {
    const state = this.state;
    return this.handlers !== null && (state.name === "connecting" || state.name === "online") && state.attempt === attempt;
  }

  /** Moves to `next`, releasing what the state being left held (timers, the stream unless kept). */
  private to(next: SseState): void {
    const previous = this.state;
    this.state = next;
    const kept = "stream" in next ? next.stream : null;
    switch (previous.name) {
      case "idle":
      case "resetting":
        break;
      case "connecting":
        this.clock.clearTimeout(previous.deadline);
        if (previous.stream !== kept) previous.stream.close();
        break;
      case "online":
        this.clock.clearTimeout(previous.watchdog);
        if (previous.stream !== kept) previous.stream.close();
        break;
      case "waiting":
        this.clock.clearTimeout(previous.timer);
        break;
      default:
        unreachable(previous);
    }
  }

  private setStatus(status: TransportStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.handlers?.onStatus(status);
  }
}
