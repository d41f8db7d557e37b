import type { StoredMessage as Message, StoredSummary as Summary } from "../../db/records.js";
import { t } from "../../i18n/index.js";

export type DeliveryStatus = "sending" | "failed" | "sent" | "delivered" | "read";

/**
 * Where one of my messages has got to, from the other members' receipts:
 * read once every other member read up to its seq, delivered once every
 * other member's devices received it, sent once the server has it.
 */
export function deliveryStatus(message: Message, summary: Summary | undefined, me: string): DeliveryStatus {
  if (!summary) return "sent";
  const others = summary.conversation.memberIds.filter((id) => id !== me);
  if (others.length === 0) return "sent";
  const receipts = new Map((summary.receipts ?? []).map((r) => [r.userId, r]));
  let read = true;
  let delivered = true;
  for (const id of others) {
    const r = receipts.get(id);
    const readSeq = r?.readSeq ?? 0;
    const deliveredSeq = Math.max(r?.deliveredSeq ?? 0, readSeq);
    if (readSeq < message.seq) read = false;
    if (deliveredSeq < message.seq) delivered = false;
  }
  return read ? "read" : delivered ? "delivered" : "sent";
}

/** The words for each mark, in the language in use when read (getters: the language can change after this module loads). */
export const STATUS_LABELS: Readonly<Record<DeliveryStatus, string>> = {
  get sending() {
    return t("conversation.status.sending");
  },
  get failed() {
    return t("conversation.status.failed");
  },
  get sent() {
    return t("conversation.status.sent");
  },
  get delivered() {
    return t("conversation.status.delivered");
  },
  get read() {
    return t("conversation.status.read");
  },
};
