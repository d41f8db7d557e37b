import { connectionDisplay, useConnection } from "../../stores/connection.js";
import { t } from "../../i18n/index.js";
import { STATUS_LABELS, type DeliveryStatus } from "../conversation/delivery-status.js";
import { previewStatusText, type PreviewStatus } from "../conversations/summary-text.js";

/** The words for a message's delivery mark: "Sending" only while a connection could carry it. */
export function useDeliveryLabel(status: DeliveryStatus): string {
  const connected = useConnection((s) => connectionDisplay(s) === "online");
  // Said of a message still in the outbox while there is no connection: it waits, nothing is being sent.
  return status === "sending" && !connected ? t("connection.delivery.waiting") : STATUS_LABELS[status];
}

/** The conversation list's short word for my last message: "Sending" becomes "Waiting" without a connection. */
export function usePreviewStatus(status: PreviewStatus | undefined): string | undefined {
  const connected = useConnection((s) => connectionDisplay(s) === "online");
  if (!status) return undefined;
  return status === "sending" && !connected ? t("connection.delivery.waitingShort") : previewStatusText(status);
}
