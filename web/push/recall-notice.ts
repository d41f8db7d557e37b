import { recallNotice, type EntryData, type PushPayload } from "../../shared/protocol/index.js";
import type { StoredSummary } from "../db/records.js";

/** The notification that replaces one showing a recalled message, worded from what this device holds. */
export function recallNoticeFor(recall: EntryData<"recall">, summary: StoredSummary | undefined): PushPayload {
  const byName = summary?.members?.find((m) => m.id === recall.by)?.displayName ?? "Someone";
  const groupTitle = summary?.conversation.type === "group" ? (summary.conversation.title ?? "") : null;
  return recallNotice({ conversationId: recall.conversationId, messageId: recall.messageId, at: recall.at, byName, groupTitle });
}
