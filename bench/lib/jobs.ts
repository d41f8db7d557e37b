import type { TransportName } from "../../shared/protocol/index.js";
import type { Target } from "./raw-client.js";

/** What the orchestrator and the load workers (bench/workers/load-worker.ts) say to each other over IPC. */

export interface ClientCreds {
  userId: string;
  token: string;
  deviceId: string;
}

export interface ChatPair {
  /** Sends. */
  a: ClientCreds;
  /** Receives; latencies are taken here. */
  b: ClientCreds;
  conversationId: string;
  /** B's server when it is not the setup's `url` (a cluster: A on process 1, B on process 2). */
  bUrl?: string;
}

/** `raw`: bench/lib/raw-client.ts (Courier or relay); otherwise the web app's own transport + sync engine (bench/lib/node-client.ts). */
export type ClientKind = "raw" | TransportName;

export type WorkerSetup =
  | {
      kind: "chat";
      url: string;
      target: Target;
      client: ClientKind;
      pairs: ChatPair[];
      concurrency: number;
      /** Web clients: node:http stand-ins for the browser's fetch and EventSource (NodeClientOptions.lean). */
      lean?: boolean;
      /** Lean web clients: HTTP connections each may hold (NodeClientOptions.connections). */
      connections?: number;
      /** A cluster's Redis: the worker also listens on each recipient's channel and times when a message passes through Redis. */
      observeRedis?: string;
    }
  | { kind: "fanout"; url: string; conversationId: string; members: ClientCreds[]; sender: ClientCreds | null; concurrency: number }
  | { kind: "idle"; url: string; transport: TransportName; clients: ClientCreds[]; concurrency: number };

/** Times are epoch ms (`performance.timeOrigin + performance.now()`), comparable across processes on one machine. */
export type Phase =
  | {
      kind: "chat";
      mode: "rate" | "saturate";
      /** rate: this worker's messages per second, spread over its pairs. */
      rate: number;
      /** saturate: messages in flight per sending client. */
      window: number;
      startAt: number;
      warmupMs: number;
      durationMs: number;
      /** After sending stops, wait at most this long for stragglers. */
      drainMs: number;
      bodyBytes: number;
    }
  | {
      kind: "fanout";
      /** spaced: `count` messages `gapMs` apart; rate: `rate`/s for `durationMs`; saturate: `window` in flight for `durationMs`. */
      mode: "spaced" | "rate" | "saturate";
      count: number;
      gapMs: number;
      rate: number;
      window: number;
      durationMs: number;
      startAt: number;
      /** Receivers listen until sending ends + drainMs. */
      drainMs: number;
    }
  | { kind: "status" };

export interface ChatResult {
  /** Sends issued during the measurement window. */
  sentInWindow: number;
  /** Sends the server acknowledged (accepted, stored) within the window. */
  acceptedInWindow: number;
  /** Sends acknowledged as accepted during the whole phase (warm-up and drain included). */
  acceptedTotal: number;
  /** Messages that arrived at their recipient within the window (whenever sent). */
  receivedInWindow: number;
  /** Of the window's sends, how many never reached the recipient by the end of the drain. */
  lostOfWindow: number;
  /** Recipient arrival − send (ms) for the window's sends: the transport's push. */
  latencies: Float64Array;
  /** The send time (epoch ms) of each `latencies` sample, in the same order (the campaign suite keeps those sent during a campaign). */
  latencySentAt: Float64Array;
  /** The sender's acknowledgement (the server committed) − send (ms), for the window's sends. */
  ackLatencies: Float64Array;
  /** The send time (epoch ms) of each `ackLatencies` sample, in the same order. */
  ackSentAt: Float64Array;
  /** With `observeRedis`: the message seen on the recipient's Redis channel − send (ms). */
  redisLatencies: Float64Array;
  /** With `observeRedis`: recipient arrival − the message seen on Redis (ms): the recipient's process and socket. */
  afterRedisLatencies: Float64Array;
  /** With `observeRedis`: messages heard on the recipients' channels during the phase, and their bytes. */
  redisMessages: number;
  redisBytes: number;
  /** Recipient's sync-engine apply − send (ms) for the window's sends (web transport clients only). */
  applyLatencies: Float64Array;
  /** How late the generator issued rate-mode sends against their schedule, p99 (ms). */
  scheduleLagP99: number;
  errors: number;
  lastError: string | null;
}

export interface FanoutResult {
  /** clientMsgId → epoch ms of each receiving member's first arrival. */
  receipts: Record<string, number[]>;
  /** Copies a member got again (re-pushed by the retransmitter): many mean acks are not getting through. */
  repeats: number;
  /** clientMsgId → epoch ms of the send (the sending worker only). */
  sends: Record<string, number>;
  /** clientMsgId → epoch ms when the server acknowledged the send (stored). */
  acks: Record<string, number>;
  accepted: number;
  errors: number;
  lastError: string | null;
}

export interface StatusResult {
  clients: number;
  online: number;
  hellos: number;
  refusals: number;
}

export type WorkerMessage =
  | { type: "ready"; connectMs: number; failed: number; firstError: string | null }
  | { type: "result"; result: ChatResult | FanoutResult | StatusResult }
  | { type: "error"; error: string };

export type ParentMessage = { type: "setup"; setup: WorkerSetup; index: number } | { type: "run"; phase: Phase } | { type: "stop" };

export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
