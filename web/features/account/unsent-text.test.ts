import { describe, expect, it } from "vitest";
import type { OutboxRow } from "../../db/records.js";
import { i18n } from "../../i18n/index.js";
import { describeLine, unsentHeading, unsentLines } from "./unsent-text.js";

const row = (conversationId: string, createdAt: number): OutboxRow => ({ clientMsgId: `k${createdAt}`, conversationId, body: "x", createdAt, status: "sending" });
const titles: Record<string, string> = { bob: "Bob", team: "Team", ann: "Ann" };

describe("what the sign-out dialog says is waiting", () => {
  it("lists conversations by their oldest unsent message, then those with only a draft, and counts each", () => {
    const lines = unsentLines([row("team", 3), row("bob", 1), row("bob", 2)], [{ conversationId: "ann", text: "hi" }, { conversationId: "team", text: "ok" }], (id) => titles[id] ?? "?");
    expect(lines.map(describeLine)).toEqual(["Bob: 2 messages", "Team: 1 message and a draft", "Ann: a draft"]);
  });

  it("names the total in the heading", () => {
    expect(unsentHeading(2, 0)).toBe("2 messages not sent yet");
    expect(unsentHeading(1, 1)).toBe("1 message and 1 draft not sent yet");
    expect(unsentHeading(0, 3)).toBe("3 drafts not sent yet");
  });
});

describe("in Chinese", () => {
  it("says the same in Chinese", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(unsentHeading(2, 0)).toBe("2 条消息尚未发送");
      expect(unsentHeading(1, 1)).toBe("1 条消息和 1 份草稿尚未发送");
      const lines = unsentLines([row("team", 3), row("bob", 1), row("bob", 2)], [{ conversationId: "ann", text: "hi" }, { conversationId: "team", text: "ok" }], (id) => titles[id] ?? "?");
      expect(lines.map(describeLine)).toEqual(["Bob：2 条消息", "Team：1 条消息和一份草稿", "Ann：一份草稿"]);
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
