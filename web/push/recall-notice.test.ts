import { afterEach, describe, expect, it } from "vitest";
import { recallNotice } from "../../shared/protocol/index.js";
import { PEER, summary } from "../db/test-fixtures.js";
import { i18n } from "../i18n/index.js";
import { wordPush } from "../sw/push-words.js";
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

  it("carries words, so the service worker says it in its page's language", () => {
    const direct = recallNoticeFor(recall, summary("c1"));
    expect(direct.words).toEqual({ key: "recall", values: { name: "Peer" } });
    expect(wordPush(direct.words, "en")).toEqual({ title: direct.title, body: direct.body });
    expect(wordPush(direct.words, "zh")).toEqual({ title: "Peer", body: "Peer撤回了一条消息" });
    const untitled = recallNoticeFor(recall, summary("c1", { conversation: { id: "c1", type: "group", title: " ", memberIds: [], lastSeq: 0, at: 0 } }));
    expect(untitled.words).toEqual({ key: "recall", values: { name: "Peer", group: "" } });
    expect(wordPush(untitled.words, "zh")).toEqual({ title: "你的群聊", body: "Peer撤回了一条消息" });
    const hidden = hiddenNoticeFor({ conversationId: "c1", messageId: "m1", at: 1 });
    expect(hidden.words).toEqual({ key: "hide", values: {} });
    expect(wordPush(hidden.words, "zh")?.body).toBe("消息已删除");
  });
});
