import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ME, message, PEER, summary } from "../../db/test-fixtures.js";
import { messagePreview } from "../conversations/summary-text.js";
import { MessageList, type MessageListProps } from "./message-list.js";

const PLACEHOLDER = "This message needs a newer version of Courier";

function render(messages: MessageListProps["messages"]): string {
  return renderToStaticMarkup(
    createElement(MessageList, {
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
    }),
  );
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
