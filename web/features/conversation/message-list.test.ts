import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ME, message, PEER, summary } from "../../db/test-fixtures.js";
import { messagePreview, pendingPreview, previewParts, previewString } from "../conversations/summary-text.js";
import { i18n } from "../../i18n/index.js";
import { MessageList, type MessageListProps } from "./message-list.js";

const PLACEHOLDER = "This message needs a newer version of Courier";

function renderProps(messages: MessageListProps["messages"]): MessageListProps {
  return {
    me: ME,
    summary: summary("c1"),
    messages,
    pending: [],
    now: 10_000,
    canLoadEarlier: false,
    loadingEarlier: false,
    earlierError: null,
    onLoadEarlier: () => {},
    onRetry: () => {},
    onDiscard: () => {},
  };
}

function render(messages: MessageListProps["messages"]): string {
  return renderToStaticMarkup(createElement(MessageList, renderProps(messages)));
}

describe("a message of a kind this app does not know", () => {
  it("shows as a neutral placeholder bubble, never its body, among the others", () => {
    const html = render([message("c1", 1, { body: "hi" }), { ...message("c1", 2, { senderId: PEER }), kind: "poll", body: '{"q":"lunch?"}' }]);
    expect(html).toContain(">hi<");
    expect(html).toContain(PLACEHOLDER);
    expect(html).toContain('data-kind="poll"');
    expect(html).toContain("bubble unsupported");
    expect(html).not.toContain("lunch?");
  });

  it("shows the placeholder as the conversation's preview", () => {
    const s = summary("c1");
    expect(messagePreview({ ...message("c1", 1, { senderId: PEER }), kind: "poll", body: "{}" }, s, ME)).toBe(PLACEHOLDER);
    expect(messagePreview({ ...message("c1", 1, { senderId: ME }), kind: "poll", body: "{}" }, s, ME)).toBe(`You: ${PLACEHOLDER}`);
  });
});

describe("message text", () => {
  it("makes http(s) addresses links, never HTML", () => {
    const html = render([message("c1", 1, { body: 'see https://example.com/a?b=1&c=2. <b>bold</b> javascript:alert(1)' })]);
    expect(html).toContain('<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer" class="message-link">https://example.com/a?b=1&amp;c=2</a>');
    expect(html).toContain("&lt;b&gt;bold&lt;/b&gt;");
    expect(html).not.toContain("<b>");
    expect(html).not.toContain('href="javascript');
  });

  it("says “You …” for my own order steps", () => {
    const s = summary("c1");
    const mine = { ...message("c1", 1, { senderId: ME }), kind: "system", body: "Me bought “Green bike”" };
    const theirs = { ...message("c1", 2, { senderId: PEER }), kind: "system", body: "Peer marked the order as shipped" };
    const html = render([mine, theirs]);
    expect(html).toContain("You bought “Green bike”");
    expect(html).toContain("Peer marked the order as shipped");
    expect(messagePreview(mine, s, ME)).toBe("You bought “Green bike”");
  });
});

describe("a group's bubbles", () => {
  it("keep the name of someone who left on what they wrote", () => {
    const group = summary("g1", {
      conversation: { id: "g1", type: "group", memberIds: [ME], lastSeq: 1, at: 1_000, title: "G" },
      members: [{ id: ME, username: "me", displayName: "Me" }],
      formerMembers: [{ id: PEER, username: "peer", displayName: "Peer Gone" }],
    });
    const html = renderToStaticMarkup(
      createElement(MessageList, { ...renderProps([message("g1", 1, { body: "Count me in" })]), summary: group }),
    );
    expect(html).toContain('<div class="sender">Peer Gone</div>');
    expect(html).not.toContain("Someone");
  });
});

describe("list previews", () => {
  it("keeps the sender apart from the text, and shows a queued message as sending", () => {
    const group = summary("g1", {
      conversation: { id: "g1", type: "group", memberIds: [ME, PEER], lastSeq: 1, at: 1_000, title: "G" },
    });
    expect(previewParts(message("g1", 1, { body: "hi\nthere" }), group, ME)).toEqual({ who: "Peer", text: "hi there" });
    expect(previewParts(message("g1", 1, { senderId: ME }), group, ME)).toEqual({ who: "You", text: "message 1" });
    expect(previewString(pendingPreview({ body: "on my way", status: "sending" }))).toBe("You: on my way · Sending");
    expect(previewString(pendingPreview({ body: "x", status: "failed" }))).toBe("You: x · Not sent");
  });

  it("does not repeat an item conversation's listing in its preview", () => {
    const s = summary("i1", {
      conversation: { id: "i1", type: "item", memberIds: [ME, PEER], lastSeq: 0, at: 1_000, itemId: "it1" },
      item: { id: "it1", sellerId: PEER, title: "Green bike", priceCents: 100, description: "", status: "listed", at: 1 },
    });
    expect(messagePreview(null, s, ME)).toBe("No messages yet");
  });
});

describe("recalls and replies", () => {
  const withActions = (messages: MessageListProps["messages"], quoted: Map<string, MessageListProps["messages"][number] | undefined>, editable = false) =>
    renderToStaticMarkup(
      createElement(MessageList, {
        ...renderProps(messages),
        actions: { itemsFor: () => [], quoted, onJump: () => {}, editAgain: () => (editable ? () => {} : null), reveal: null },
      }),
    );

  it("a recalled message says who recalled it and never what it said; mine offers Edit again while the tab holds it", () => {
    const html = withActions([message("c1", 1, { recalled: true, body: "" }), message("c1", 2, { senderId: ME, recalled: true, body: "" })], new Map(), true);
    expect(html).toContain("Peer recalled a message");
    expect(html).toContain("You recalled a message");
    expect(html.match(/Edit again/g)).toHaveLength(1);
  });

  it("a quote shows the sender and first line, 'Recalled message' without text, or 'Message not loaded'", () => {
    const quoted = message("c1", 1, { body: "first line\nsecond line" });
    const gone = message("c1", 2, { recalled: true, body: "" });
    const replies = [
      message("c1", 3, { senderId: ME, replyTo: { id: quoted.id, seq: 1 } }),
      message("c1", 4, { senderId: ME, replyTo: { id: gone.id, seq: 2 } }),
      message("c1", 5, { senderId: ME, replyTo: { id: "c1-unknown", seq: 9 } }),
    ];
    const html = withActions(replies, new Map([[quoted.id, quoted], [gone.id, gone], ["c1-unknown", undefined]]));
    // The quoted line in its own direction (dir="auto": a Hebrew quote reads right to left).
    expect(html).toMatch(/<span class="quote-who">Peer<\/span><span class="quote-text" dir="auto">first line<\/span>/);
    expect(html).not.toContain("second line");
    expect(html).toContain("Recalled message");
    expect(html).toContain("Message not loaded");
  });
});

describe("in Chinese", () => {
  it("says recalls, quotes, the empty list and system lines in Chinese; names and text stay as written", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(render([])).toContain("还没有消息，打个招呼吧！");
      const quoted = message("c1", 1, { body: "first line" });
      const html = renderToStaticMarkup(
        createElement(MessageList, {
          ...renderProps([
            quoted,
            message("c1", 2, { recalled: true, body: "" }),
            message("c1", 3, { senderId: ME, recalled: true, body: "" }),
            message("c1", 4, { senderId: ME, replyTo: { id: "c1-unknown", seq: 9 } }),
            message("c1", 5, { senderId: PEER, kind: "system", body: "Peer confirmed receipt" }),
          ]),
          actions: { itemsFor: () => [], quoted: new Map([["c1-unknown", undefined]]), onJump: () => {}, editAgain: () => () => {}, reveal: null },
        }),
      );
      expect(html).toContain("Peer撤回了一条消息");
      expect(html).toContain("你撤回了一条消息");
      expect(html).toContain("重新编辑");
      expect(html).toContain("消息未加载");
      expect(html).toContain("Peer已确认收货");
      expect(html).toContain("first line");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
