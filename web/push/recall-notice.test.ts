import { afterEach, describe, expect, it } from "vitest";
import { recallNotice } from "../../shared/protocol/index.js";
import { PEER, summary } from "../db/test-fixtures.js";
import { i18n } from "../i18n/index.js";
import { hiddenNoticeFor, recallNoticeFor } from "./recall-notice.js";

const recall = { conversationId: "c1", messageId: "m1", seq: 3, by: PEER, at: 5_000 };

afterEach(async () => {
  await i18n.changeLanguage("en");
});

describe("recallNoticeFor", () => {
  it("words it as the server does, in English", () => {
    const server = recallNotice({ conversationId: "c1", messageId: "m1", at: 5_000, byName: "Peer", groupTitle: null });
    expect(recallNoticeFor(recall, summary("c1"))).toEqual(server);
    expect(recallNoticeFor(recall, undefined)).toMatchObject({ title: "Someone", body: "Someone recalled a message" });
    expect(recallNoticeFor(recall, summary("c1", { conversation: { id: "c1", type: "group", title: " ", memberIds: [], lastSeq: 0, at: 0 } }))).toMatchObject({
      title: "your group",
      body: "Peer recalled a message",
    });
    expect(hiddenNoticeFor({ conversationId: "c1", messageId: "m1", at: 1 })).toMatchObject({ kind: "hide", title: "Courier", body: "Message deleted" });
  });

  it("in Chinese", async () => {
    await i18n.changeLanguage("zh");
    expect(recallNoticeFor(recall, summary("c1"))).toMatchObject({ title: "Peer", body: "Peer撤回了一条消息" });
    expect(recallNoticeFor(recall, undefined)).toMatchObject({ title: "有人", body: "有人撤回了一条消息" });
    expect(hiddenNoticeFor({ conversationId: "c1", messageId: "m1", at: 1 }).body).toBe("消息已删除");
  });
});
