import {
  CourierError,
  PING_PATH,
  STREAM_PATH,
  formatCursor,
  helloSchema,
  pingResponseSchema,
  streamPingSchema,
  streamCloseSchema,
  streamResetSchema,
  type PingRequest,
} from "../../shared/protocol/index.js";
import { systemClock, type Clock } from "../../shared/sync/types.js";
import type { Api } from "../api/client.js";
import { unreachable } from "../lib/unreachable.js";
import { Backoff, Reconnector } from "./backoff.js";
import { Heartbeat } from "./heartbeat.js";
import { LinkMachine, type TransitionTable } from "./link-machine.js";
import type { LinkOptions } from "./link-options.js";
import { recordDead } from "./transport-log.js";
import { HttpRequestsTransport } from "./transport-base.js";
import { refusalOf, type Transport, type TransportHandlers } from "./transport.js";
import { parseJson, validEntries, validTyping } from "./wire.js";

/** The part of EventSource we use; tests pass a fake. */
export interface EventStream {
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  close(): void;
}
export type OpenStream = (url: string) => EventStream;

export interface SseTimings {
  /** A stream that has not said hello by then is abandoned and retried (a buffering proxy). */
  helloTimeoutMs: number;
  /** Checking the session after a refused stream happens at most this often. */
  sessionCheckGapMs: number;
}

export const SSE_TIMINGS: SseTimings = {
  helloTimeoutMs: 10_000,
  sessionCheckGapMs: 30_000,
};

export interface SseTransportOptions extends LinkOptions {
  deviceId: string;
  /** Requests (send, pull, ack, the heartbeat) and the session check go over HTTP. */
  api: Api;
  /** Server origin; same origin when empty. */
  base?: string;
  openStream?: OpenStream;
  timings?: Partial<SseTimings>;
}

type SseState =
  | { name: "idle" }
  | { name: "connecting"; attempt: number; stream: EventStream; deadline: unknown }
  | { name: "online"; attempt: number; stream: EventStream; heartbeat: Heartbeat }
  | { name: "resetting"; attempt: number; wasOnline: boolean }
  | { name: "waiting" };

/** The legal moves of the diagram below; close() (any state → idle) is not drawn. */
export const SSE_TRANSITIONS: TransitionTable<SseState["name"]> = {
  idle: ["connecting", "waiting"],
  connecting: ["online", "resetting", "waiting", "idle"],
  online: ["online", "resetting", "waiting", "idle"],
  resetting: ["connecting", "waiting", "idle"],
  waiting: ["connecting", "waiting", "idle"],
};

/**
 * Server-Sent Events transport (`GET /api/stream?hb=1`). Server → client
 * only; send, pull, ack and the heartbeat (`POST /api/sync/ping`) go over HTTP.
 *
 *            connect()               hello                  hello again
 *   (idle) ───────────▶ connecting ─────────▶ online ◀──┐  (a new heartbeat)
 *      │                 ▲  │ error, close,     │ │  └──────┘
 *      │ cannot open     │  │ no hello in       │ │ error, close event,
 *      │  timer, wake()  │  ▼ helloTimeoutMs    │ │ dead (no event for 2 × max(interval, H))
 *      └───────────▶ waiting ◀─────────────────┘ │
 *                     ▲  └─┘ cannot open again    │ reset event (connecting too)
 *                     │                           ▼
 *                     │                       resetting ── snapshot taken ──▶ connecting
 *                     └──── a repeated reset: after a backoff ──┘
 *
 * waiting: the backoff (Reconnector), never shorter than the server's
 * retryAfterMs; a wake() before that runs out waits out the rest.
 *
 * The heartbeat's POST proves nothing about the stream; the signs of life
 * are the stream's events (hello, push, the server's `ping` every H and the
 * `ping` it writes back for our POST). The POSTs also keep the server from
 * ending the stream (`hb=1`: no request from us for 2 × H and it does).
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
export class SseTransport extends HttpRequestsTransport implements Transport {
  readonly name = "sse" as const;
  private readonly machine: LinkMachine<SseState>;
  private hidden = false;
  private attempts = 0;
  private pings = 0;
  /** H, from the last hello. */
  private heartbeatMs = 25_000;
  /** When the last heartbeat POST went out (clock ms). */
  private lastPingAt = Number.NEGATIVE_INFINITY;
  private lastSessionCheck = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;
  private readonly timings: SseTimings;
  private readonly openStream: OpenStream;
  /** The wait after a lost stream. */
  private readonly reconnect: Reconnector;
  /** A server that keeps answering with `reset` (a snapshot that failed): the first at once, repeats backed off. */
  private readonly resetBackoff: Backoff;

  protected readonly api: Api;

  constructor(private readonly opts: SseTransportOptions) {
    super();
    this.api = opts.api;
    this.clock = opts.clock ?? systemClock;
    this.timings = { ...SSE_TIMINGS, ...opts.timings };
    this.reconnect = new Reconnector(() => this.open(), { clock: this.clock, random: opts.random, timings: opts.backoff });
    this.resetBackoff = new Backoff({ clock: this.clock, random: opts.random, timings: opts.backoff, immediateFirst: true });
    this.openStream = opts.openStream ?? ((url) => new EventSource(url, { withCredentials: true }));
    this.machine = new LinkMachine<SseState>({
      label: "sse",
      initial: { name: "idle" },
      transitions: SSE_TRANSITIONS,
      onTransition: opts.onTransition ?? null,
    });
  }

  get online(): boolean {
    const state = this.machine.state;
    // During a reset the snapshot runs over HTTP; the session is still ours.
    return state.name === "online" || (state.name === "resetting" && state.wasOnline);
  }

  connect(handlers: TransportHandlers): void {
    if (this.machine.state.name !== "idle") return;
    this.handlers = handlers;
    this.reconnect.reset();
    this.resetBackoff.reset();
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
    this.resetBackoff.setHidden(hidden);
    const state = this.machine.state;
    if (state.name === "online") state.heartbeat.setHidden(hidden);
  }

  close(): void {
    this.detach();
    if (this.machine.state.name !== "idle") this.to({ name: "idle" });
  }


  // ── one stream ─────────────────────────────────────────────────────────

  private open(): void {
    const handlers = this.handlers;
    if (!handlers) return;
    const attempt = ++this.attempts;
    // hb=1: we promise heartbeats; the server ends the stream when they stop.
    const query = new URLSearchParams({ device: this.opts.deviceId, cursor: formatCursor(handlers.cursor()), hb: "1" });
    let stream: EventStream;
    try {
      stream = this.openStream(`${this.opts.base ?? ""}${STREAM_PATH}?${query}`);
    } catch (error) {
      console.warn("courier: could not open the event stream", error);
      return this.retryLater({});
    }
    const on = (type: string, listener: (data: unknown) => void) =>
      stream.addEventListener(type, (event) => {
        if (this.isCurrent(attempt)) listener(event.data);
      });
    on("hello", (data) => this.onHello(data));
    on("push", (data) => this.onPushEvent(data));
    on("ping", (data) => this.onPingEvent(attempt, data));
    on("reset", (data) => this.onResetEvent(attempt, data));
    on("close", (data) => this.onCloseEvent(attempt, data));
    on("typing", (data) => {
      const frame = this.machine.state.name === "online" ? validTyping(parseJson(data)) : null;
      if (frame) this.handlers?.onTyping?.(frame);
    });
    on("error", () => this.onError());
    const deadline = this.clock.setTimeout(() => {
      if (this.isCurrent(attempt)) this.retryLater({});
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
    const state = this.machine.state;
    if (state.name !== "connecting" && state.name !== "online") return;
    const { attempt, stream } = state;
    this.heartbeatMs = hello.data.heartbeatMs;
    const heartbeat = new Heartbeat({
      heartbeatMs: hello.data.heartbeatMs,
      // The server pings every H by itself; ours may be echoed by another process's stream, or not at all.
      serverIntervalMs: hello.data.heartbeatMs,
      hidden: this.hidden,
      clock: this.clock,
      timings: this.opts.heartbeat,
      ping: (timeoutMs) => this.ping(attempt, timeoutMs),
      onDead: (silentMs) => {
        if (!this.isCurrent(attempt)) return;
        recordDead(this.opts.log, this.name, silentMs);
        this.retryLater({});
      },
    });
    this.to({ name: "online", attempt, stream, heartbeat });
    heartbeat.start();
    this.setStatus("online");
    this.handlers?.onHello(hello.data);
  }

  /** The heartbeat: its answer comes over another request, so it proves nothing about the stream (false). */
  private async ping(attempt: number, timeoutMs: number): Promise<boolean> {
    this.lastPingAt = this.clock.now();
    const body: PingRequest = { echo: `${attempt}.${++this.pings}` };
    await this.opts.api.http.request("POST", PING_PATH, { body, schema: pingResponseSchema, timeoutMs });
    return false;
  }

  /**
   * A `ping` on the stream is a sign of life. While the page is hidden the
   * browser may run our heartbeat timer only once a minute, later than the
   * server's LIVENESS_MISSES × H for an `hb=1` stream; the server's own pings
   * still arrive as events, so one that finds us quiet for half an interval
   * is answered with a heartbeat at once.
   */
  private onPingEvent(attempt: number, data: unknown): void {
    const state = this.machine.state;
    if (state.name !== "online") return;
    this.alive();
    const ping = streamPingSchema.safeParse(parseJson(data));
    if (!this.hidden || !ping.success || ping.data.echo !== undefined) return;
    if (this.clock.now() - this.lastPingAt < this.heartbeatMs / 2) return;
    void this.ping(attempt, this.heartbeatMs).catch(() => {});
  }

  private onPushEvent(data: unknown): void {
    // The server says hello first; anything before it is not for a greeted connection.
    if (this.machine.state.name !== "online") return;
    this.alive();
    const entries = validEntries(parseJson(data));
    if (entries.length > 0) this.handlers?.onPush(entries);
  }

  /** An event after hello (push, ping): the stream is alive and has proved itself beyond its hello. */
  private alive(): void {
    const state = this.machine.state;
    if (state.name !== "online") return;
    state.heartbeat.alive();
    this.reconnect.reset();
    this.resetBackoff.reset();
  }

  private onResetEvent(attempt: number, data: unknown): void {
    const parsed = streamResetSchema.safeParse(parseJson(data));
    if (!parsed.success) {
      console.warn("courier: malformed reset event", parsed.error.issues[0]);
      return;
    }
    // Closing matters: the browser's own reconnect would resume from Last-Event-ID, the lost position.
    this.to({ name: "resetting", attempt, wasOnline: this.machine.state.name === "online" });
    const delay = this.resetBackoff.next();
    Promise.resolve()
      .then(() => this.handlers?.onReset?.([parsed.data.d]))
      .catch((error: unknown) => console.warn("courier: snapshot after a stream reset failed", error))
      .then(() => {
        const state = this.machine.state;
        if (!this.handlers || state.name !== "resetting" || state.attempt !== attempt) return;
        if (delay === 0) return this.open();
        this.to({ name: "waiting" });
        this.reconnect.after(delay);
      });
  }

  private onCloseEvent(attempt: number, data: unknown): void {
    const parsed = streamCloseSchema.safeParse(parseJson(data));
    // Signed out, this device removed, or too many connections: the sync client decides (refusalOf).
    const refusal = refusalOf(parsed.success ? parsed.data.reason : null);
    if (refusal) {
      this.handlers?.onRefused(refusal);
      if (!this.isCurrent(attempt)) return; // the refusal closed us
    }
    this.retryLater({ retryAfterMs: parsed.success ? parsed.data.retryAfterMs : undefined, patient: refusal !== null });
  }

  private onError(): void {
    if (this.machine.state.name === "connecting") void this.checkSession();
    this.retryLater({});
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

  // ── reconnecting ───────────────────────────────────────────────────────

  /** Every lost stream ends here: close it, say offline, try again after the backoff. */
  private retryLater(opts: { retryAfterMs?: number | undefined; patient?: boolean }): void {
    if (!this.handlers) return;
    this.to({ name: "waiting" });
    this.reconnect.afterFailure(opts);
    this.setStatus("offline");
  }

  // ── state ──────────────────────────────────────────────────────────────

  private isCurrent(attempt: number): boolean {
    const state = this.machine.state;
    return this.handlers !== null && (state.name === "connecting" || state.name === "online") && state.attempt === attempt;
  }

  /** Moves to `next`, releasing what the state being left held (timers, the heartbeat, the stream unless kept). */
  private to(next: SseState): void {
    const previous = this.machine.to(next);
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
        if (!("heartbeat" in next) || next.heartbeat !== previous.heartbeat) previous.heartbeat.stop();
        if (previous.stream !== kept) previous.stream.close();
        break;
      case "waiting":
        this.reconnect.cancel();
        break;
      default:
        unreachable(previous);
    }
  }

}
