import https from "node:https";
import type { LookupFunction } from "node:net";
import webpush from "web-push";
import type { StoredPushSubscription, VapidKeys } from "../storage/push-types.js";
import type { RejectReason } from "./funnel.js";
import type { HostPolicy } from "./net-guard.js";
import type { Urgency } from "./policy.js";

/** One encrypted request as it goes on the wire. */
export interface WireRequest {
  headers: Record<string, string>;
  body: Buffer | null;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** Carries one request to a push service; rejects on network failure. */
export type Transport = (endpoint: string, request: WireRequest) => Promise<WireResponse>;

export interface PushMessage {
  subscription: StoredPushSubscription;
  /** The JSON payload (already within the size limit). */
  payload: string;
  ttlSeconds: number;
  urgency: Urgency;
  /** RFC 8030 Topic: ≤ 32 base64url characters. */
  topic?: string;
}

export type SendResult =
  | { ok: true; status: number; attempts: number }
  | { ok: false; reason: RejectReason; status?: number; attempts: number };

export interface SenderOptions {
  vapid: VapidKeys & { subject: string };
  policy: HostPolicy;
  /** Requests in flight at once. */
  concurrency: number;
  /** Tries per message, the first included. */
  maxAttempts: number;
  /**
   * The TLS agent for push services. Default: a keep-alive agent with the
   * system's CAs. Tests pass one that trusts their throwaway CA; nothing
   * global (NODE_TLS_REJECT_UNAUTHORIZED) is ever touched.
   */
  agent?: https.Agent;
  /** Replaces the HTTPS transport entirely (unit tests). */
  transport?: Transport;
  /** Waits before a retry; injected so tests control time. */
  sleep?: (ms: number) => Promise<void>;
  /** Whole-request deadline. */
  timeoutMs?: number;
  /** A Retry-After longer than this is not waited for: the message is rejected. */
  maxRetryDelayMs?: number;
  /** Called before each retry (the funnel counts them). */
  onRetry?: () => void;
  /** Epoch ms, for Retry-After given as an HTTP date. */
  now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_RETRY_DELAY_MS = 5 * 60_000;
/** Without Retry-After: 1 s, 2 s, 4 s… */
export const RETRY_BACKOFF_BASE_MS = 1000;

const realSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Retry-After as ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null if absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return null;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** POSTs over HTTPS with the given agent and a lookup that refuses internal addresses. */
export function httpsTransport(agent: https.Agent, lookup: LookupFunction, timeoutMs: number): Transport {
  return (endpoint, request) =>
    new Promise<WireResponse>((resolve, reject) => {
      const url = new URL(endpoint);
      const req = https.request(
        {
          protocol: "https:",
          hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
          port: url.port || 443,
          path: `${url.pathname}${url.search}`,
          method: "POST",
          headers: request.headers,
          agent,
          lookup,
        },
        (res) => {
          // The answer's body is of no use to us; drain it so the socket is reused.
          res.resume();
          res.on("end", () => {
            clearTimeout(deadline);
            resolve({ status: res.statusCode ?? 0, headers: res.headers });
          });
          res.on("error", (err) => {
            clearTimeout(deadline);
            reject(err);
          });
        },
      );
      const deadline = setTimeout(() => req.destroy(Object.assign(new Error("push request timed out"), { code: "ETIMEDOUT" })), timeoutMs);
      req.on("error", (err) => {
        clearTimeout(deadline);
        reject(err);
      });
      req.end(request.body ?? undefined);
    });
}

/** A counting semaphore: at most `n` holders, the rest wait in order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(n: number) {
    this.free = n;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  get queued(): number {
    return this.waiting.length;
  }
}

/**
 * Sends Web Push messages: `web-push` builds each request (payload encrypted
 * as RFC 8291 aes128gcm, a VAPID RFC 8292 ES256 JWT whose `aud` is the
 * endpoint's origin and whose `exp` is 12 h ahead), this class carries it:
 * at most `concurrency` at once, 429/5xx (and network failures) retried up to
 * `maxAttempts` tries honouring Retry-After, 404/410 reported as `expired`.
 * A retry's wait does not hold a slot. Logs nothing itself; endpoints and keys
 * never leave this class except towards the push service.
 */
export class PushSender {
  private readonly slots: Slots;
  private readonly transport: Transport;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly maxRetryDelayMs: number;
  private active = 0;
  private closed = false;
  /** Ends retry waits early on close. */
  private readonly wakers = new Set<() => void>();
  /** Our own agent (closed with us); an injected one belongs to its owner. */
  private readonly ownAgent: https.Agent | null;

  constructor(private readonly opts: SenderOptions) {
    this.slots = new Slots(Math.max(1, opts.concurrency));
    this.sleep = opts.sleep ?? realSleep;
    this.now = opts.now ?? Date.now;
    this.maxRetryDelayMs = opts.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    this.ownAgent = opts.transport || opts.agent ? null : new https.Agent({ keepAlive: true, maxSockets: Math.max(1, opts.concurrency) });
    const agent = opts.agent ?? this.ownAgent;
    this.transport = opts.transport ?? httpsTransport(agent!, opts.policy.guardedLookup(), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  /** Messages being sent or waiting for a slot (backpressure for bulk senders). */
  get backlog(): number {
    return this.active + this.slots.queued;
  }

  async send(message: PushMessage): Promise<SendResult> {
    this.active++;
    try {
      return await this.attempts(message);
    } finally {
      this.active--;
    }
  }

  private async attempts(message: PushMessage): Promise<SendResult> {
    const host = new URL(message.subscription.endpoint).hostname;
    if (this.opts.policy.refuseLiteral(host)) return { ok: false, reason: "blocked", attempts: 0 };
    for (let attempt = 1; ; attempt++) {
      let request: WireRequest;
      try {
        request = this.build(message);
      } catch {
        return { ok: false, reason: "invalid", attempts: attempt - 1 };
      }
      let retryIn: number | null;
      let failure: SendResult & { ok: false };
      await this.slots.acquire();
      try {
        const res = await this.transport(message.subscription.endpoint, request);
        if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, attempts: attempt };
        if (res.status === 404 || res.status === 410) return { ok: false, reason: "expired", status: res.status, attempts: attempt };
        failure = { ok: false, reason: `status_${res.status}`, status: res.status, attempts: attempt };
        const retriable = res.status === 429 || res.status >= 500;
        retryIn = retriable ? (parseRetryAfter(res.headers["retry-after"], this.now()) ?? this.backoff(attempt)) : null;
      } catch (err) {
        const blocked = (err as { code?: string }).code === "EPUSHBLOCKED";
        failure = { ok: false, reason: blocked ? "blocked" : "network", attempts: attempt };
        retryIn = blocked ? null : this.backoff(attempt);
      } finally {
        this.slots.release();
      }
      if (this.closed || retryIn === null || attempt >= this.opts.maxAttempts || retryIn > this.maxRetryDelayMs) return failure;
      this.opts.onRetry?.();
      await this.wait(retryIn);
      if (this.closed) return failure;
    }
  }

  private async wait(ms: number): Promise<void> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.wakers.add(wake);
    try {
      await Promise.race([this.sleep(ms), woken]);
    } finally {
      this.wakers.delete(wake);
    }
  }

  private backoff(attempt: number): number {
    return RETRY_BACKOFF_BASE_MS * 2 ** (attempt - 1);
  }

  private build(message: PushMessage): WireRequest {
    const details = webpush.generateRequestDetails(message.subscription, message.payload, {
      vapidDetails: { subject: this.opts.vapid.subject, publicKey: this.opts.vapid.publicKey, privateKey: this.opts.vapid.privateKey },
      TTL: message.ttlSeconds,
      urgency: message.urgency,
      contentEncoding: "aes128gcm",
      ...(message.topic ? { topic: message.topic } : {}),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(details.headers)) headers[name] = String(value);
    return { headers, body: details.body };
  }

  /** Ends retry waits and closes pooled connections; requests in flight fail as network errors. */
  close(): void {
    this.closed = true;
    for (const wake of this.wakers) wake();
    this.ownAgent?.destroy();
  }
}
