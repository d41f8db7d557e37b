import type { FastifyPluginAsync } from "fastify";
import { CourierError } from "../../shared/protocol/index.js";
import type { FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import { TRACE_EVENTS, type TraceRow } from "../storage/trace-types.js";

/** One event of a message's path as the admin API shows it (contract, Operations; `userId` an extension). Never text. */
export interface TraceEventView {
  at: number;
  event: TraceRow["event"];
  userId?: string;
  deviceId?: string;
  transport?: string;
  node?: string;
}

export interface MessageTrace {
  message: { id: string; conversationId: string; seq: number; senderId: string; at: number };
  events: TraceEventView[];
}

const ORDER = new Map<string, number>(TRACE_EVENTS.map((e, i) => [e, i]));

/**
 * The rows covering one message, as its path: acks and reads are cumulative
 * (an ack row covers 1..hi), so only the earliest per device (ack) or user
 * (read) says when that device first held (that user first read) the message;
 * later ones are dropped. Sorted by time, then in the order of TRACE_EVENTS.
 */
export function traceEvents(rows: readonly TraceRow[]): TraceEventView[] {
  const earliest = new Map<string, TraceRow>();
  const kept: TraceRow[] = [];
  for (const row of rows) {
    const key = row.event === "acked" ? `a:${row.userId}:${row.deviceId}` : row.event === "read" ? `r:${row.userId}` : null;
    if (key === null) kept.push(row);
    else {
      const seen = earliest.get(key);
      if (!seen || row.at < seen.at) earliest.set(key, row);
    }
  }
  kept.push(...earliest.values());
  kept.sort((a, b) => a.at - b.at || ORDER.get(a.event)! - ORDER.get(b.event)!);
  return kept.map((r) => ({
    at: r.at,
    event: r.event,
    ...(r.userId !== null ? { userId: r.userId } : {}),
    ...(r.deviceId !== null ? { deviceId: r.deviceId } : {}),
    ...(r.transport !== null ? { transport: r.transport } : {}),
    ...(r.node !== null ? { node: r.node } : {}),
  }));
}

/**
 * `GET /api/admin/messages/:id/trace` (registered inside adminRoutes, behind
 * its token check): where a message went, from `trace_events`. 404 for an
 * unknown message and for one older than TRACE_KEEP_MS (its rows are pruned).
 */
export const traceRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  app.get("/api/admin/messages/:id/trace", async (req): Promise<MessageTrace> => {
    const id = idParam(req);
    const keptSince = ctx.clock() - ctx.config.trace.keepMs;
    const found = await ctx.storage.read(async (r) => {
      const m = await r.messages.get(id);
      if (!m || m.at < keptSince) return null;
      return { m, rows: await r.trace.forMessage(m.conversationId, m.seq) };
    });
    if (!found) throw CourierError.notFound("No trace for this message: unknown, or older than the trace keeps (TRACE_KEEP_MS).");
    const { m, rows } = found;
    return { message: { id: m.id, conversationId: m.conversationId, seq: m.seq, senderId: m.senderId, at: m.at }, events: traceEvents(rows) };
  });
};
