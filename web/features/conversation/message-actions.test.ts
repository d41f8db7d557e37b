import { RECALL_WINDOW_MS_DEFAULT } from "../../../shared/protocol/index.js";
import { afterEach, describe, expect, it } from "vitest";
import type { StoredMessage } from "../../db/records.js";
import { i18n } from "../../i18n/index.js";
import { useConnection } from "../../stores/connection.js";
import { STATUS_LABELS } from "./delivery-status.js";
import { canRecall, tooLateToRecall } from "./message-actions.js";

const SENT_AT = 1_700_000_000_000;
const mine = { id: "m1", clientMsgId: "k1", conversationId: "c1", seq: 1, senderId: "me", kind: "text", body: "hi", at: SENT_AT } as StoredMessage;
const offersRecallAfter = (ms: number) => canRecall(mine, "me", SENT_AT + ms);

afterEach(() => useConnection.getState().setRecallWindowMs(null));

describe("the message menu's recall window", () => {
  it("uses the shared default until a server says its own", () => {
    expect(offersRecallAfter(RECALL_WINDOW_MS_DEFAULT - 1)).toBe(true);
    expect(offersRecallAfter(RECALL_WINDOW_MS_DEFAULT)).toBe(false);
    expect(tooLateToRecall()).toBe("Too late to recall: messages can be recalled for 2 minutes after they are sent.");
  });

  it("follows the server's RECALL_WINDOW_MS from hello, longer or shorter than the default", () => {
    useConnection.getState().setRecallWindowMs(10 * 60_000);
    expect(offersRecallAfter(5 * 60_000)).toBe(true);
    expect(tooLateToRecall()).toBe("Too late to recall: messages can be recalled for 10 minutes after they are sent.");

    useConnection.getState().setRecallWindowMs(30_000);
    expect(offersRecallAfter(29_999)).toBe(true);
    expect(offersRecallAfter(30_000)).toBe(false);
    expect(tooLateToRecall()).toBe("Too late to recall: messages can be recalled for 30 seconds after they are sent.");

    useConnection.getState().setRecallWindowMs(0);
    expect(offersRecallAfter(0)).toBe(false);
    expect(tooLateToRecall()).toBe("This server does not allow recalling messages.");
  });

  it("never offers Recall of someone else's message or one already recalled", () => {
    useConnection.getState().setRecallWindowMs(10 * 60_000);
    expect(canRecall(mine, "someone-else", SENT_AT + 1)).toBe(false);
    expect(canRecall({ ...mine, recalled: true } as StoredMessage, "me", SENT_AT + 1)).toBe(false);
  });

  it("says why in Chinese too", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(tooLateToRecall(2 * 60_000)).toBe("已超过撤回时限：消息发出后 2 分钟内才能撤回。");
      expect(tooLateToRecall(1000)).toBe("已超过撤回时限：消息发出后 1 秒内才能撤回。");
      expect(tooLateToRecall(0)).toBe("这个服务器不允许撤回消息。");
      expect(STATUS_LABELS.read).toBe("已读");
    } finally {
      await i18n.changeLanguage("en");
    }
    expect(STATUS_LABELS.read).toBe("Read");
  });
});
