import { z } from "zod";
import type { DashboardResponse, HistogramValue, MetricsSnapshot, NodeMetrics } from "./snapshot.js";

/**
 * The snapshot shapes as zod schemas: the server checks each `node_metrics`
 * row before summing it (a row another version wrote must not break the
 * dashboard), and a client can check `GET /api/admin/dashboard` with them.
 * Not strict: a newer writer may add fields.
 */

const finite = z.number().refine(Number.isFinite, "must be a finite number");

export const histogramValueSchema: z.ZodType<HistogramValue> = z
  .object({ le: z.array(finite), counts: z.array(finite), sum: finite, count: finite })
  .refine((h) => h.counts.length === h.le.length + 1, "counts must hold one count per bound and the +Inf count");

export const metricsSnapshotSchema: z.ZodType<MetricsSnapshot> = z.object({
  counters: z.record(z.string(), finite),
  gauges: z.record(z.string(), finite),
  histograms: z.record(z.string(), histogramValueSchema),
});

export const nodeMetricsSchema: z.ZodType<NodeMetrics> = z.object({ node: z.string(), at: z.number(), startedAt: z.number(), metrics: metricsSnapshotSchema });

export const dashboardResponseSchema: z.ZodType<DashboardResponse> = z.object({ at: z.number(), nodes: z.array(nodeMetricsSchema), total: metricsSnapshotSchema });
