import { z } from "zod";
import { idSchema } from "./common.js";
import { lazy } from "./lazy.js";

/**
 * The instruction model (docs/messages.md, "Commands"): an admin asks a
 * user's devices to repair themselves. The user gets `cmd {id, name, args,
 * deviceId?}` in `chat`; a device runs each id once and reports.
 */
export const COMMAND_NAMES = ["resync", "diagnostics", "mute", "delete_conversation", "sign_out"] as const;
export const commandNameSchema = lazy(() => z.enum(COMMAND_NAMES));
export type CommandName = z.infer<typeof commandNameSchema>;

const conversationArgs = lazy(() => z.strictObject({ conversationId: idSchema }));
const noArgs = lazy(() => z.strictObject({}).optional().default({}));
const target = lazy(() => ({ userId: idSchema, deviceId: idSchema.optional() }));

/** The args of each command, as a device reads them from a `cmd` entry (web/commands/runner.ts). */
export const commandArgsSchemas = {
  resync: noArgs,
  diagnostics: noArgs,
  sign_out: noArgs,
  mute: conversationArgs,
  delete_conversation: conversationArgs,
} as const;

/** `POST /api/admin/commands`: unknown names or missing args are `400`. */
export const commandCreateSchema = lazy(() => z.discriminatedUnion("name", [
  z.strictObject({ ...target, name: z.literal("resync"), args: noArgs }),
  z.strictObject({ ...target, name: z.literal("diagnostics"), args: noArgs }),
  z.strictObject({ ...target, name: z.literal("mute"), args: conversationArgs }),
  z.strictObject({ ...target, name: z.literal("delete_conversation"), args: conversationArgs }),
  z.strictObject({ ...target, name: z.literal("sign_out"), args: noArgs }),
]));
export type CommandCreate = z.infer<typeof commandCreateSchema>;

export const commandSchema = lazy(() => z.object({
  id: idSchema,
  userId: idSchema,
  deviceId: idSchema.nullable(),
  name: commandNameSchema,
  args: z.record(z.string(), z.unknown()),
  at: z.number(),
}));
export type Command = z.infer<typeof commandSchema>;

/** A diagnostics report is at most this many bytes of JSON (`413` above). */
export const COMMAND_REPORT_MAX_BYTES = 256 * 1024;

/** `POST /api/devices/:deviceId/commands/:id`: a repeated report replaces the earlier one. */
export const commandReportSchema = lazy(() => z.strictObject({
  status: z.enum(["done", "failed"]),
  detail: z.string().max(1000).optional(),
  report: z.record(z.string(), z.unknown()).optional(),
}));
export type CommandReport = z.infer<typeof commandReportSchema>;

export const commandResultSchema = lazy(() => z.object({
  deviceId: idSchema,
  status: z.enum(["done", "failed"]),
  detail: z.string().nullable(),
  report: z.record(z.string(), z.unknown()).optional(),
  at: z.number(),
}));
export type CommandResult = z.infer<typeof commandResultSchema>;

/**
 * What `diagnostics` reports: versions, outbox, transport log, recent errors,
 * storage counts and the app version. Never message text, never tokens.
 */
export const diagnosticsReportSchema = lazy(() => z.object({
  appVersion: z.string(),
  protocol: z.number(),
  versions: z.record(z.string(), z.number()),
  outbox: z.object({ count: z.number(), oldestAgeMs: z.number().nullable(), failed: z.number() }),
  transportLog: z.array(z.record(z.string(), z.unknown())),
  recentErrors: z.array(z.object({ at: z.number(), message: z.string() })),
  storage: z.record(z.string(), z.number()),
  userAgent: z.string().optional(),
}));
export type DiagnosticsReport = z.infer<typeof diagnosticsReportSchema>;
