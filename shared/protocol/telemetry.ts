import { z } from "zod";
import { transportNameSchema } from "./sync.js";
import { lazy } from "./lazy.js";

/**
 * Client reports (issue 15, docs/observability.md "Client reports",
 * docs/protocol.md "Telemetry"): what only the web app sees — receive → on
 * screen time, pulls caused by holes, transport switches, outbox waits —
 * batched and sent at most once per `TELEMETRY_INTERVAL_MS` (and when the
 * page goes away). Numbers only: never a message, conversation or user id,
 * never text.
 */

/** `POST /api/telemetry` (a signed-in user) → `204`. */
export const TELEMETRY_PATH = "/api/telemetry";
/** Largest body the route reads; more is `413`. */
export const TELEMETRY_BODY_MAX_BYTES = 16 * 1024;
/** The app sends a batch at most this often (plus once when the page is hidden or left). */
export const TELEMETRY_INTERVAL_MS = 30_000;

/** Bounds of one report: how many values each list holds and how large each may be. */
export const TELEMETRY_LIMITS = {
  /** Receive → on screen, ms. */
  renderMs: { count: 200, max: 600_000 },
  /** Queued → accepted by the server, ms (a day: the outbox's own age limit). */
  outboxMs: { count: 200, max: 86_400_000 },
  switches: { count: 50 },
  holePulls: { max: 10_000 },
} as const;

const durations = (bound: { count: number; max: number }) => z.array(z.number().min(0).max(bound.max)).max(bound.count);

export const transportSwitchSchema = lazy(() => z
  .strictObject({ from: transportNameSchema, to: transportNameSchema })
  .refine((s) => s.from !== s.to, "A transport switch names two different transports."));
export type TransportSwitch = z.infer<typeof transportSwitchSchema>;

export const telemetrySchema = lazy(() => z.strictObject({
  /** The transport the tab was on when it sent the batch; null when none was up. */
  transport: transportNameSchema.nullable(),
  /** Entry received → message painted, one per message shown live in the open conversation. */
  renderMs: durations(TELEMETRY_LIMITS.renderMs),
  /** Pulls started because a version was missing (a hole), since the last report. */
  holePulls: z.number().int().min(0).max(TELEMETRY_LIMITS.holePulls.max),
  /** Transport changes since the last report, oldest first. */
  switches: z.array(transportSwitchSchema).max(TELEMETRY_LIMITS.switches.count),
  /** A message's time in the outbox before the server accepted it. */
  outboxMs: durations(TELEMETRY_LIMITS.outboxMs),
}));
export type TelemetryReport = z.infer<typeof telemetrySchema>;
