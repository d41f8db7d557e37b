import type { Answer } from "./tx.js";

/**
 * The message trace and the per-process metrics snapshots (issue 15,
 * docs/observability.md): what the repositories `trace` and `nodeMetrics`
 * store, on both engines (migration 12).
 */

/** What can happen to a message, in the order a trace lists events of the same time. */
export const TRACE_EVENTS = [
  "stored",
  "pushed",
  "retransmitted",
  "pulled",
  "acked",
  "handed_over",
  "notified",
  "displayed",
  "clicked",
  "read",
] as const;
export type TraceEvent = (typeof TRACE_EVENTS)[number];

/** One event about the messages `seqLo..seqHi` of one conversation. Never text. */
export interface TraceRow {
  conversationId: string;
  seqLo: number;
  seqHi: number;
  /** Epoch ms. */
  at: number;
  event: TraceEvent;
  userId: string | null;
  deviceId: string | null;
  transport: string | null;
  /** The process (NODE_ID) that saw it, where one did. */
  node: string | null;
}

export interface TraceRepo {
  /** Stores the rows (one statement per batch where the engine can). */
  insert(rows: readonly TraceRow[]): Answer<void>;
  /** Deletes at most `max` rows with `at` below `before`; answers how many. */
  prune(before: number, max: number): Answer<number>;
  /** Every row whose range covers `seq` in the conversation, in no particular order. */
  forMessage(conversationId: string, seq: number): Answer<TraceRow[]>;
}

/** A process's latest metrics snapshot, as stored. */
export interface NodeMetricsRecord {
  node: string;
  /** When it was written (epoch ms). */
  at: number;
  /** When the process started. */
  startedAt: number;
  /** JSON (a MetricsSnapshot, shared/metrics/snapshot.ts). */
  data: string;
}

export interface NodeMetricsRepo {
  /** Replaces the node's row. */
  put(node: string, at: number, startedAt: number, data: string): Answer<void>;
  /** Rows written at or after `at`, by node name. */
  since(at: number): Answer<NodeMetricsRecord[]>;
  /** Forgets rows written before `before`; answers how many. */
  prune(before: number): Answer<number>;
}

/** A database row of trace_events, as both engines read it (PostgreSQL's BIGINTs come back as numbers). */
export interface TraceDbRow {
  conversation_id: string;
  seq_lo: number;
  seq_hi: number;
  at: number;
  event: string;
  user_id: string | null;
  device_id: string | null;
  transport: string | null;
  node: string | null;
}

export const TRACE_COLUMNS = "conversation_id, seq_lo, seq_hi, at, event, user_id, device_id, transport, node";

export function toTraceRow(r: TraceDbRow): TraceRow {
  return {
    conversationId: r.conversation_id,
    seqLo: r.seq_lo,
    seqHi: r.seq_hi,
    at: r.at,
    event: r.event as TraceEvent,
    userId: r.user_id,
    deviceId: r.device_id,
    transport: r.transport,
    node: r.node,
  };
}

/** A row's values in TRACE_COLUMNS order. */
export function traceValues(r: TraceRow): [string, number, number, number, string, string | null, string | null, string | null, string | null] {
  return [r.conversationId, r.seqLo, r.seqHi, r.at, r.event, r.userId, r.deviceId, r.transport, r.node];
}

export interface NodeMetricsDbRow {
  node: string;
  at: number;
  started_at: number;
  data: string;
}

export function toNodeMetrics(r: NodeMetricsDbRow): NodeMetricsRecord {
  return { node: r.node, at: r.at, startedAt: r.started_at, data: r.data };
}
