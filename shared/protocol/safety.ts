import { z } from "zod";
import { userSchema } from "./auth.js";
import { humanText, idSchema, queryInt } from "./common.js";
import { itemSchema } from "./items.js";
import { messageSchema } from "./messages.js";
import { lazy } from "./lazy.js";

/*
 * Safety (issue 14, docs/marketplace.md "Safety", docs/protocol.md "Safety
 * (issue 14)"): blocking people and reporting what someone can see.
 */

/** What a send into a direct or item chat between a blocker and the one they blocked answers (`403`), either way. */
export const BLOCKED_MESSAGE = "You can't message this person.";
/** What opening a new direct or item chat between them answers (`403`). */
export const BLOCKED_START_MESSAGE = "You can't start a conversation with this person.";

/** `GET /api/blocks` → the people I blocked, oldest block first. */
export const blockListSchema = lazy(() => z.object({ users: z.array(userSchema) }));
export type BlockList = z.infer<typeof blockListSchema>;

/** `POST /api/users/:id/block` → `201` (`200` when already blocked). */
export const blockResponseSchema = lazy(() => z.object({ blocked: z.literal(true), user: userSchema }));

/**
 * The `blocks` entry (system domain, the blocker's own): every id they block
 * now, in full, after each change, so a device replaces its copy.
 */
export const blocksEntrySchema = lazy(() => z.object({ userIds: z.array(idSchema) }));
export type BlocksEntry = z.infer<typeof blocksEntrySchema>;

export const REPORT_TYPES = ["message", "user", "item"] as const;
export const REPORT_REASONS = ["scam", "offensive", "spam", "prohibited", "other"] as const;
export const reportTypeSchema = lazy(() => z.enum(REPORT_TYPES));
export const reportReasonSchema = lazy(() => z.enum(REPORT_REASONS));
export type ReportType = z.infer<typeof reportTypeSchema>;
export type ReportReason = z.infer<typeof reportReasonSchema>;
export const REPORT_NOTE_MAX = 500;

/** The words a person picks from, per reason. */
export const REPORT_REASON_LABELS: Record<ReportReason, string> = {
  scam: "Scam or fraud",
  offensive: "Offensive or abusive",
  spam: "Spam",
  prohibited: "Prohibited item",
  other: "Something else",
};

/** `POST /api/reports` → `201 {report}`. */
export const createReportSchema = lazy(() => z.strictObject({
  type: reportTypeSchema,
  id: idSchema,
  reason: reportReasonSchema,
  note: humanText(REPORT_NOTE_MAX, { trim: true }).optional(),
}));
export type CreateReport = z.infer<typeof createReportSchema>;

/**
 * A report as stored: ids only, never a copy of a message's text (a recall
 * still removes it everywhere). For a message, its conversation and sender.
 */
export const reportSchema = lazy(() => z.object({
  id: idSchema,
  reporterId: idSchema,
  type: reportTypeSchema,
  targetId: idSchema,
  reason: reportReasonSchema,
  note: z.string().optional(),
  conversationId: idSchema.optional(),
  senderId: idSchema.optional(),
  at: z.number(),
}));
export type Report = z.infer<typeof reportSchema>;

/** `GET /api/admin/reports?cursor=&limit=` (admin token): newest first. */
export const adminReportsQuerySchema = lazy(() => z.strictObject({
  cursor: z.string().min(1).max(200).optional(),
  limit: queryInt(1, 100).optional(),
}));

/**
 * One report as an admin reads it: the report, who sent it, and the target
 * as it is now (a message as stored now: recalled, it has no text; null when
 * the target is gone).
 */
export const adminReportSchema = lazy(() => z.object({
  report: reportSchema,
  reporter: userSchema.nullable(),
  target: z.discriminatedUnion("type", [
    z.object({ type: z.literal("user"), user: userSchema.nullable() }),
    z.object({ type: z.literal("item"), item: itemSchema.nullable() }),
    z.object({ type: z.literal("message"), message: messageSchema.nullable(), sender: userSchema.nullable() }),
  ]),
}));
export type AdminReport = z.infer<typeof adminReportSchema>;
export const adminReportsResponseSchema = lazy(() => z.object({ reports: z.array(adminReportSchema), cursor: z.string().optional() }));
