import { z } from "zod";
import type { DeviceDiagnostics } from "../../shared/protocol/index.js";

/**
 * The trace answer (`GET /api/admin/messages/:id/trace`, docs/protocol.md
 * Operations and "Message trace"), checked at the boundary like every answer
 * the web app reads. The dashboard's and the diagnostics' schemas are shared
 * (shared/metrics/schema.ts, shared/protocol/diagnostics.ts). Not strict: a
 * server may add fields.
 */

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

export type DiagnosticsRow = DeviceDiagnostics;
