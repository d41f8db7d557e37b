import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { within } from "../within.js";

/**
 * The two connections a process keeps to Redis (`REDIS_URL`), and whether
 * the link is usable right now. Redis carries notifications and shared
 * counters only; nothing it holds is the only copy, so every user of the
 * link has a fallback for "down" (docs/cluster.md).
 *
 *   command:    publishes, presence, rate-limit buckets, collapse windows.
 *               No offline queue: a command while the link is down fails at
 *               once (the caller falls back) instead of waiting.
 *   subscriber: sharded subscriptions (per-user channels, control, probe).
 *               Subscriptions are re-made by the bus after every reconnect,
 *               not by ioredis, so the bus knows when they are in place.
 *
 *   down ──both ready──▶ up ──either closes / probe silent──▶ down ──▶ …
 *
 * `onUp` listeners run on every transition to up (the bus re-subscribes and
 * heals there), `onDown` on every transition to down.
 */
export interface RedisLinkOptions {
  /** Reconnect delay cap (ms); ioredis retries forever with growing delays up to this. */
  maxReconnectDelayMs?: number;
  /** Name of this process in CLIENT LIST and in logs. */
  nodeId?: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export type LinkState = "up" | "down";

/** A short random id per process: names its presence, its probe channel and its messages. */
export function newNodeId(): string {
  return randomBytes(6).toString("base64url");
}

export class RedisLink {
  readonly command: Redis;
  readonly subscriber: Redis;
  readonly nodeId: string;
  private state: LinkState = "down";
  private readonly upListeners: (() => void)[] = [];
  private readonly downListeners: (() => void)[] = [];
  private closed = false;
  /** Set by the probe: both sockets may be open while messages no longer arrive. */
  private deaf = false;

  constructor(
    url: string,
    private readonly opts: RedisLinkOptions,
  ) {
    this.nodeId = opts.nodeId ?? newNodeId();
    const maxDelay = opts.maxReconnectDelayMs ?? 1000;
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      // Detects a dead peer on an idle socket (the probe catches the rest).
      keepAlive: 5000,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    };
    this.command = new Redis(url, { ...common, connectionName: `courier-${this.nodeId}` });
    this.subscriber = new Redis(url, { ...common, autoResubscribe: false, connectionName: `courier-${this.nodeId}-sub` });
    for (const client of [this.command, this.subscriber]) {
      client.on("ready", () => this.update());
      client.on("close", () => this.update());
      client.on("end", () => this.update());
      // ioredis reports every failed (re)connect here; state changes are logged once each in update().
      client.on("error", () => {});
    }
  }

  /** Connects both clients; resolves when the first attempt ends either way (the link keeps retrying by itself). */
  async connect(): Promise<void> {
    await Promise.allSettled([this.command.connect(), this.subscriber.connect()]);
  }

  get up(): boolean {
    return this.state === "up";
  }

  onUp(listener: () => void): void {
    this.upListeners.push(listener);
  }

  onDown(listener: () => void): void {
    this.downListeners.push(listener);
  }

  /**
   * The probe found the subscriber deaf: report down, then drop the
   * subscriber's socket so ioredis makes a new one (and the bus re-subscribes).
   */
  reportDeaf(): void {
    if (this.closed || this.deaf) return;
    this.deaf = true;
    this.opts.log.warn({ node: this.nodeId }, "redis subscriber is connected but deaf (probe unanswered): reconnecting it");
    this.update();
    this.subscriber.disconnect(true);
  }

  private update(): void {
    if (this.subscriber.status !== "ready") this.deaf = false;
    const next: LinkState = !this.closed && !this.deaf && this.command.status === "ready" && this.subscriber.status === "ready" ? "up" : "down";
    if (next === this.state) return;
    this.state = next;
    if (next === "up") this.opts.log.info({ node: this.nodeId }, "redis link up");
    else if (!this.closed) this.opts.log.warn({ node: this.nodeId }, "redis link down: pushes to other processes are healed from the database, limits are per process");
    for (const listener of next === "up" ? this.upListeners : this.downListeners) {
      try {
        listener();
      } catch (err) {
        this.opts.log.warn({ err }, "redis link listener failed");
      }
    }
  }

  /** Round trip of a PING on the command connection in ms, or null when down (readiness). */
  async ping(timeoutMs = 1000): Promise<number | null> {
    if (!this.up) return null;
    const started = performance.now();
    return within(
      this.command.ping().then(() => performance.now() - started),
      timeoutMs,
      null,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.update();
    await Promise.allSettled([this.command.quit(), this.subscriber.quit()]);
    this.command.disconnect();
    this.subscriber.disconnect();
  }
}
