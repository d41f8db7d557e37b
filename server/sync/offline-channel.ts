import type { Appended } from "../storage/storage.js";

/** Why a device's entries go to the offline channel instead of a live connection. */
export type HandOverReason =
  /** The device had unacked pushes and its last live WebSocket/SSE connection here ended. */
  | "disconnected"
  /** Retransmission ran out of its lifetime without an ack. */
  | "gave_up";

/**
 * Where entries go when a device cannot be reached live: Web Push for a
 * browser (server/push/). The sync layer only tells it what happened; which
 * devices get a notification, and what it says, is the channel's business.
 */
export interface OfflineChannel {
  /**
   * Called after every committed append (the same batches the hub fans out):
   * the channel decides which of each user's devices are offline.
   */
  appended(appended: Appended): void;
  /** A live device stopped acking (see HandOverReason). */
  handOver(userId: string, deviceId: string, reason: HandOverReason): void;
}

/** The channel of a server without offline delivery configured. */
export const noOfflineChannel: OfflineChannel = {
  appended() {},
  handOver() {},
};
