import { type Report, reportReasonSchema, reportTypeSchema } from "../../shared/protocol/index.js";

/** A `reports` row as both engines return it (the same column names). */
export interface ReportRow {
  id: string;
  reporter_id: string;
  type: string;
  target_id: string;
  reason: string;
  note: string | null;
  conversation_id: string | null;
  sender_id: string | null;
  at: number;
}

export const REPORT_COLUMNS = "id, reporter_id, type, target_id, reason, note, conversation_id, sender_id, at";

/** The row's values in `REPORT_COLUMNS` order. */
export const reportValues = (r: Report) => [
  r.id,
  r.reporterId,
  r.type,
  r.targetId,
  r.reason,
  r.note ?? null,
  r.conversationId ?? null,
  r.senderId ?? null,
  r.at,
];

// A value a newer server may add reads as the vaguest one (schemas built once: `.catch()` makes a new one).
const typeOrUser = reportTypeSchema.catch("user");
const reasonOrOther = reportReasonSchema.catch("other");

export function toReport(r: ReportRow): Report {
  return {
    id: r.id,
    reporterId: r.reporter_id,
    type: typeOrUser.parse(r.type),
    targetId: r.target_id,
    reason: reasonOrOther.parse(r.reason),
    ...(r.note !== null ? { note: r.note } : {}),
    ...(r.conversation_id !== null ? { conversationId: r.conversation_id } : {}),
    ...(r.sender_id !== null ? { senderId: r.sender_id } : {}),
    at: r.at,
  };
}
