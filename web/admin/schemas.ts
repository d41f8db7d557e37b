import { z } from "zod";
import { commandResultSchema } from "../../shared/protocol/index.js";
import type { DashboardResponse, HistogramValue, MetricsSnapshot, NodeMetrics } from "../../shared/metrics/snapshot.js";

/**
 * The admin API's answers, checked at the boundary like every other answer
 * the web app reads (an older or newer server, a proxy's page). Shapes:
 * shared/metrics/snapshot.ts (dashboard), docs/protocol.md Operations
 * (trace) and the diagnostics route (server/admin). Objects are not strict:
 * a server may add fields.
 */

const histogramSchema: z.ZodType<HistogramValue> = z.object({
  le: z.array(z.number()),
  counts: z.array(z.number()),
  sum: z.number(),
  count: z.number(),
});

const snapshotSchema: z.ZodType<MetricsSnapshot> = z.object({
  counters: z.record(z.string(), z.number()),
  gauges: z.record(z.string(), z.number()),
  histograms: z.record(z.string(), histogramSchema),
});

const nodeSchema: z.ZodType<NodeMetrics> = z.object({ node: z.string(), at: z.number(), startedAt: z.number(), metrics: snapshotSchema });

export const dashboardSchema: z.ZodType<DashboardResponse> = z.object({ at: z.number(), nodes: z.array(nodeSchema), total: snapshotSchema });

/** An event name this page does not know yet is still shown, as the server spells it. */
const traceEventSchema = z.object({
  at: z.number(),
  event: z.string(),
  userId: z.string().nullish(),
  deviceId: z.string().nullish(),
  transport: z.string().nullish(),
  node: z.string().nullish(),
});

export const traceSchema = z.object({
  message: z.object({ id: z.string(), conversationId: z.string(), seq: z.number(), senderId: z.string(), at: z.number() }),
  events: z.array(traceEventSchema),
});
export type Trace = z.infer<typeof traceSchema>;
export type TraceEvent = z.infer<typeof traceEventSchema>;

const diagnosticsRowSchema = z.object({
  userId: z.string(),
  deviceId: z.string(),
  commandId: z.string(),
  at: z.number(),
  /** The device's answer to the command: status, detail and, when it ran, its report (shown, never trusted). */
  result: commandResultSchema,
});

export const diagnosticsSchema = z.object({ devices: z.array(diagnosticsRowSchema) });
export type DiagnosticsRow = z.infer<typeof diagnosticsRowSchema>;
