import { describe, expect, it } from "vitest";
import { ME, message, PEER, summary } from "../../db/test-fixtures.js";
import { i18n } from "../../i18n/index.js";
import { chatName, conversationTitle, memberName, messagePreview, notifyHeadline, pendingPreview, previewString } from "./summary-text.js";

const CAROL = "u-carol";
/** A group Carol wrote in and then left: she is no longer a member, but the server still names her. */
const hikers = summary("g1", {
  conversation: { id: "g1", type: "group", memberIds: [ME, PEER], lastSeq: 2, at: 1_000, title: "Hikers" },
  formerMembers: [{ id: CAROL, username: "carol", displayName: "Carol Phone" }],
});

describe("names in a group", () => {
  it("keeps the name of someone who left on what they wrote", () => {
    expect(memberName(hikers, CAROL)).toBe("Carol Phone");
    expect(messagePreview(message("g1", 1, { senderId: CAROL, body: "Count me in" }), hikers, ME)).toBe("Carol Phone: Count me in");
    expect(memberName(hikers, PEER)).toBe("Peer");
    expect(memberName(hikers, "u-nobody")).toBe("Someone");
  });
});

describe("what names a chat among the others", () => {
  const bike = { id: "i1", sellerId: PEER, title: "Blue bike", priceCents: 5000, description: "", status: "listed" as const, at: 1 };
  const itemChat = summary("c1", { conversation: { id: "c1", type: "item", memberIds: [ME, PEER], lastSeq: 1, at: 1, itemId: bike.id }, item: bike });

  it("names an item chat by its listing, as the list shows it; its header names the person", () => {
    expect(chatName(itemChat, ME)).toBe("Blue bike");
    expect(conversationTitle(itemChat, ME)).toBe("Peer");
  });

  it("names a direct chat and a group as their title does", () => {
    expect(chatName(summary("d1"), ME)).toBe(conversationTitle(summary("d1"), ME));
    expect(chatName(hikers, ME)).toBe("Hikers");
  });
});

describe("the notifications offer's headline", () => {
  it("names the group, not one of its members, in a group", () => {
    expect(notifyHeadline(hikers, ME)).toBe("Get notified when someone writes in Hikers");
    expect(notifyHeadline({ ...hikers, conversation: { ...hikers.conversation, memberIds: [ME] }, members: [{ id: ME, username: "me", displayName: "Me" }] }, ME)).toBe(
      "Get notified when someone writes in Hikers",
    );
  });

  it("names the other person in a direct chat", () => {
    expect(notifyHeadline(summary("d1"), ME)).toBe("Get notified when Peer writes");
  });
});

describe("in Chinese", () => {
  it("says the preview, the names it falls back on and the headline in Chinese, people's words as written", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(messagePreview(message("g1", 1, { senderId: CAROL, body: "Count me in" }), hikers, ME)).toBe("Carol Phone：Count me in");
      expect(messagePreview(message("d1", 1, { senderId: ME, body: "On my way" }), summary("d1"), ME)).toBe("你：On my way");
      expect(messagePreview(null, summary("d1"), ME)).toBe("还没有消息");
      expect(messagePreview(message("d1", 1, { senderId: PEER, recalled: true }), summary("d1"), ME)).toBe("消息已撤回");
      expect(previewString(pendingPreview({ body: "x", status: "failed" }))).toBe("你：x · 未发送");
      expect(previewString(pendingPreview({ body: "x", status: "sending" }))).toBe("你：x · 发送中");
      expect(memberName(hikers, "u-nobody")).toBe("有人");
      expect(notifyHeadline(hikers, ME)).toBe("Hikers里有人发消息时通知我");
      expect(notifyHeadline(summary("d1"), ME)).toBe("Peer发消息时通知我");
      const nameless = { ...hikers, conversation: { ...hikers.conversation, title: undefined }, members: [] };
      expect(conversationTitle(nameless, ME)).toBe("群聊");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});

describe("an offer in the list's preview", () => {
  const item = { id: "i1", sellerId: PEER, title: "Bike", priceCents: 5_000, description: "", status: "listed" as const, at: 1_000 };
  const chat = summary("c1", { conversation: { id: "c1", type: "item", itemId: "i1", memberIds: [ME, PEER], lastSeq: 2, at: 1_000 }, item });
  const offer = (by: string, priceCents: number, verb = "offered") =>
    message("c1", 2, { kind: "offer", senderId: by, body: `${by === ME ? "Me" : "Peer"} ${verb} ${(priceCents / 100).toFixed(2)}`, offer: { id: "o1", by, priceCents } });

  it("is worded as its card, with the price as the app writes prices, not the server's English body", () => {
    expect(messagePreview(offer(ME, 4_000), chat, ME)).toBe("You offered $40.00");
    // The seller's offer in an item chat is a counter.
    expect(messagePreview(offer(PEER, 4_500), chat, ME)).toBe("Peer countered with $45.00");
    // The buyer answering the seller's counter with one of their own.
    expect(messagePreview(offer(ME, 4_200, "countered with"), chat, ME)).toBe("You countered with $42.00");
  });

  it("in Chinese too", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(messagePreview(offer(ME, 4_000), chat, ME)).toBe("你出价 US$40.00");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
