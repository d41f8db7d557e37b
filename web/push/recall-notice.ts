import { hiddenNotice, recallNotice, type EntryData, type PushPayload } from "../../shared/protocol/index.js";
import type { StoredSummary } from "../db/records.js";
import { t } from "../i18n/index.js";

/**
 * The notification that replaces one showing a recalled message, worded from
 * what this device holds, in the app's language (a recall push from the
 * server is worded by the server, in English).
 */
export function recallNoticeFor(recall: EntryData<"recall">, summary: StoredSummary | undefined): PushPayload {
  const byName = summary?.members?.find((m) => m.id === recall.by)?.displayName ?? t("connection.notice.someone");
  const groupTitle = summary?.conversation.type === "group" ? (summary.conversation.title ?? "") : null;
  const notice = recallNotice({ conversationId: recall.conversationId, messageId: recall.messageId, at: recall.at, byName, groupTitle });
  const title = groupTitle === null ? byName : groupTitle.trim() || t("connection.notice.yourGroup");
  return { ...notice, title, body: t("connection.notice.recalled", { name: byName }) };
}

/** The notification that replaces one showing a message its user deleted for themselves (the service worker keeps the title). */
export function hiddenNoticeFor(h: { conversationId: string; messageId: string; at: number }): PushPayload {
  return { ...hiddenNotice(h), body: t("connection.notice.deleted") };
}
