import {
  DOMAINS,
  type Domain,
  type EphemeralFrame,
  type Entry,
  formatCursor,
  type Hello,
  LIVENESS_MISSES,
  PULL_LIMIT_MAX,
  SSE_RETRY_MS,
  type StreamClose,
  type StreamPing,
  type Versions,
} from "../../../shared/protocol/index.js";
import type { Context } from "../../context.js";
import type { CloseReason, Connection } from "../../sync/hub.js";
import type { SseWriter } from "./sse-writer.js";

/** Hub pushes held while the backlog is read; past this the backlog is read again instead. */
export const BACKLOG_QUEUE_MAX = 1000;

export interface SseStreamDeps {
  ctx: Context;
  writer: Pick<SseWriter, "retry" | "event" | "end">;
  /** Hello for the heads read once the stream is registered. */
  hello(heads: Versions): Hello;
  /** Whether the session that opened the stream still exists (checked at every ping). */
  sessionAlive(): Promise<boolean>;
  /**
   * Opened with `hb=1`: the client promised heartbeats, so the stream ends
   * (`close {reason: "dead"}`) when its device shows no sign of life for
   * LIVENESS_MISSES heartbeat intervals.
   */
  watchLiveness?: boolean;
  log: { error(obj: object, msg: string): void };
}

type State =
  | { name: "backlog"; queue: Entry[]; overflow: boolean }
  | { name: "live"; floor: Versions }
  | { name: "closed" };

/**
 * One SSE response, registered with the hub as a connection.
 *
 *   registered ──▶ hello ──▶ backlog ──────────────▶ live ──▶ closed
 *   (hub pushes     │        pages from storage,      │ hub pushes with
 *    queue from     │        per domain, up to the    │ v > floor (what the
 *    here on)       │        hello heads; a queue     │ backlog sent), no
 *                   │        overflow reads again     │ duplicates, no gaps
 *                   ▼
 *   closed by: logout / device removed / shutdown (hub), the client leaving,
 *   a full write buffer, a session found gone at a ping, or (hb=1) no sign
 *   of life from the device for LIVENESS_MISSES heartbeats.
 *
 * `sent` is the highest version per domain written so far; it only rises, so
 * the `id` of each push never moves backwards, re-pushes included. A domain
 * whose cursor is older than the ring gets one `reset` event and nothing more
 * on this stream: the client takes a snapshot and opens a new stream with
 * the new cursor.
 */
export class SseStream implements Connection {
  readonly transport = "sse" as const;
  private state: State = { name: "backlog", queue: [], overflow: false };
  private readonly sent: Versions;
  private readonly reset = new Set<Domain>();
  private heartbeat: NodeJS.Timeout | null = null;
  private liveness: NodeJS.Timeout | null = null;
  /** The last request seen from the device (admission counts), for `watchLiveness`. */
  private lastSign: number;

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly deviceId: string,
    readonly sessionId: string,
    cursor: Versions,
    private readonly deps: SseStreamDeps,
  ) {
    this.sent = { ...cursor };
    this.lastSign = deps.ctx.clock();
  }

  push(entries: Entry[]): void {
    const state = this.state;
    if (state.name === "backlog") {
      if (state.overflow) return;
      if (state.queue.length + entries.length > BACKLOG_QUEUE_MAX) {
        state.overflow = true;
        state.queue = [];
      } else {
        state.queue.push(...entries);
      }
    } else if (state.name === "live") {
      this.send(entries.filter((e) => e.v > state.floor[e.d] && !this.reset.has(e.d)));
    }
  }

  /**
   * Retransmission: entries this stream may have sent already. Only once
   * live (the backlog sends everything up to the heads anyway), never for a
   * domain waiting for its reset; `send` keeps the id from moving backwards.
   */
  repush(entries: Entry[]): number {
    if (this.state.name !== "live") return 0;
    const sendable = entries.filter((e) => !this.reset.has(e.d));
    this.send(sendable);
    return sendable.length;
  }

  /** From the hub, which has already unregistered us: say why, then end. */
  close(reason: CloseReason, retryAfterMs?: number): void {
    this.endWith(retryAfterMs === undefined ? { reason } : { reason, retryAfterMs });
  }

  /** The device's heartbeat (`POST /api/sync/ping`): answered on the stream, once hello is out. */
  ping(echo: string | undefined): boolean {
    if (this.closed || !this.heartbeat) return false;
    this.alive();
    this.writePing(echo);
    return true;
  }

  alive(): void {
    this.lastSign = this.deps.ctx.clock();
  }

  /** Typing (server/presence/): an `event: typing` without an id (it is not in the log), once hello is out. */
  ephemeral({ conversationId, userId }: EphemeralFrame): void {
    if (this.closed || !this.heartbeat) return;
    this.deps.writer.event("typing", { conversationId, userId });
  }

  /** The client went away (or the response was dropped): clean up, write nothing. */
  gone(): void {
    if (this.state.name === "closed") return;
    this.state = { name: "closed" };
    this.stopTimers();
    this.deps.ctx.hub.remove(this);
  }

  get closed(): boolean {
    return this.state.name === "closed";
  }

  async start(): Promise<void> {
    const { ctx, writer } = this.deps;
    ctx.hub.add(this);
    // A logout between admission and `hub.add` found nothing to close. Nothing
    // has been written yet, and hello comes first or not at all: just end.
    if (!(await this.deps.sessionAlive())) return this.end();
    // Entries committed on another process from here on reach this one before heads are read.
    await ctx.hub.ready(this.userId);
    let heads = await ctx.sync.heads(this.userId);
    if (this.closed) return;
    ctx.hub.told(this, heads);
    writer.retry(SSE_RETRY_MS);
    writer.event("hello", this.deps.hello(heads));
    this.heartbeat = setInterval(() => this.beat(), ctx.config.heartbeatMs);
    if (this.deps.watchLiveness) this.watchLiveness();
    for (;;) {
      for (const d of DOMAINS) await this.backlog(d, heads[d]);
      const state = this.state;
      if (state.name !== "backlog") return;
      if (state.overflow) {
        this.state = { name: "backlog", queue: [], overflow: false };
        heads = await ctx.sync.heads(this.userId);
        continue;
      }
      this.state = { name: "live", floor: { ...this.sent } };
      this.push(state.queue);
      return;
    }
  }

  /** Ends the stream after a failure of ours; the client reconnects from its last id. */
  fail(err: unknown): void {
    this.deps.log.error({ err, connection: this.id }, "sse stream failed");
    if (this.closed) return;
    this.end();
  }

  private async backlog(d: Domain, upTo: number): Promise<void> {
    while (this.sent[d] < upTo && !this.reset.has(d)) {
      const page = await this.deps.ctx.sync.pull(this.userId, d, this.sent[d], PULL_LIMIT_MAX);
      if (this.closed) return;
      if (page.reset) {
        this.reset.add(d);
        this.deps.writer.event("reset", { d });
        return;
      }
      if (page.entries.length === 0) return;
      this.send(page.entries);
    }
  }

  private send(entries: Entry[]): void {
    if (entries.length === 0) return;
    for (const e of entries) this.sent[e.d] = Math.max(this.sent[e.d], e.v);
    this.deps.writer.event("push", entries, formatCursor(this.sent));
  }

  private writePing(echo?: string): void {
    const data: StreamPing = echo === undefined ? { at: this.deps.ctx.clock() } : { at: this.deps.ctx.clock(), echo };
    this.deps.writer.event("ping", data);
  }

  private beat(): void {
    this.writePing();
    this.deps.sessionAlive().then(
      (alive) => {
        // Through the hub, as a logout elsewhere would: a signed-out device is not handed to Web Push.
        if (!alive) this.deps.ctx.hub.closeWhere((c) => c === this, "logout");
      },
      (err: unknown) => this.fail(err),
    );
  }

  /** Re-armed lazily: signs of life only move `lastSign`, the timer looks at it when it fires. */
  private watchLiveness(): void {
    const { ctx } = this.deps;
    const limit = LIVENESS_MISSES * ctx.config.heartbeatMs;
    const quiet = ctx.clock() - this.lastSign;
    if (quiet >= limit) {
      ctx.delivery.deadConnections.sse++;
      this.endWith({ reason: "dead" });
      return;
    }
    this.liveness = setTimeout(() => this.watchLiveness(), limit - quiet);
  }

  private endWith(close: StreamClose): void {
    if (this.state.name === "closed") return;
    this.deps.writer.event("close", close);
    this.end();
  }

  private end(): void {
    this.gone();
    this.deps.writer.end();
  }

  private stopTimers(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.liveness) clearTimeout(this.liveness);
    this.liveness = null;
  }
}
