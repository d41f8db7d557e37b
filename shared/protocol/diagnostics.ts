import { z } from "zod";
import { commandResultSchema } from "./commands.js";
import { idSchema, queryInt } from "./common.js";
import { lazy } from "./lazy.js";

/**
 * Device diagnostics for the admin dashboard (issue 15, docs/protocol.md
 * "Dashboard"): the latest result of a `diagnostics` command per device.
 */

/** How many devices `GET /api/admin/diagnostics` lists when `limit` is not given, and at most. */
export const DIAGNOSTICS_LIMIT_DEFAULT = 50;
export const DIAGNOSTICS_LIMIT_MAX = 200;

/** `GET /api/admin/diagnostics?userId=&limit=` (admin token): one user's devices, or the newest across users. */
export const adminDiagnosticsQuerySchema = lazy(() => z.strictObject({
  userId: idSchema.optional(),
  limit: queryInt(1, DIAGNOSTICS_LIMIT_MAX).optional(),
}));

/** A device's latest diagnostics result: which command, when the device reported, and what (the report when it ran). */
export const deviceDiagnosticsSchema = lazy(() => z.object({
  userId: idSchema,
  deviceId: idSchema,
  commandId: idSchema,
  at: z.number(),
  result: commandResultSchema,
}));
export type DeviceDiagnostics = z.infer<typeof deviceDiagnosticsSchema>;

/** `GET /api/admin/diagnostics` → `{devices}`. */
export const adminDiagnosticsResponseSchema = lazy(() => z.object({ devices: z.array(deviceDiagnosticsSchema) }));
