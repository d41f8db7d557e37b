import { afterEach, describe, expect, it } from "vitest";
import { TYPING_SHOWN_MS, TYPING_SIGNAL_MS } from "../../../shared/protocol/index.js";
import { i18n } from "../../i18n/index.js";
import { typingAt, TypingSignal, typingText, useTyping } from "./typing-store.js";

afterEach(() => useTyping.getState().clear());

describe("who is typing", () => {
  it("shows someone for 5 s after their last signal, longer when they keep typing, and not once their message arrived", () => {
    const { heard, stopped } = useTyping.getState();
    heard({ conversationId: "c", userId: "ann" }, 1000);
    const at = (now: number) => typingAt(useTyping.getState().until.c, now);
    expect(at(1000 + TYPING_SHOWN_MS - 1)).toEqual({ userIds: ["ann"], nextChange: 1000 + TYPING_SHOWN_MS });
    expect(at(1000 + TYPING_SHOWN_MS).userIds).toEqual([]);
    // Another signal 3 s later keeps it up to 5 s after that one.
    heard({ conversationId: "c", userId: "ann" }, 4000);
    expect(at(4000 + TYPING_SHOWN_MS - 1).userIds).toEqual(["ann"]);
    heard({ conversationId: "c", userId: "bob" }, 5000);
    expect(at(5000).userIds).toEqual(["ann", "bob"]);
    expect(typingAt(useTyping.getState().until.other, 5000).userIds).toEqual([]);
    stopped("c", "ann");
    expect(at(5000).userIds).toEqual(["bob"]);
  });

  it("words it as the header shows it", () => {
    expect(typingText([], false)).toBeNull();
    expect(typingText(["Ann"], false)).toBe("typing…");
    expect(typingText(["Ann"], true)).toBe("Ann is typing…");
    expect(typingText(["Ann", "Bob"], true)).toBe("2 people are typing…");
  });

  it("says who is typing in Chinese", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(typingText(["Ann"], false)).toBe("对方正在输入…");
      expect(typingText(["Ann"], true)).toBe("Ann 正在输入…");
      expect(typingText(["Ann", "Bob"], true)).toBe("2 人正在输入…");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});

describe("signalling while typing", () => {
  it("signals at most every 3 s while the text changes, never for blank text, afresh in another conversation", () => {
    let now = 0;
    const sent: string[] = [];
    const signal = new TypingSignal((id) => sent.push(`${id}@${now}`), () => now);
    signal.changed("c", "h");
    now = 1000;
    signal.changed("c", "he");
    now = TYPING_SIGNAL_MS - 1;
    signal.changed("c", "hel");
    now = TYPING_SIGNAL_MS;
    signal.changed("c", "hell");
    now += 10;
    signal.changed("d", "x");
    expect(sent).toEqual(["c@0", `c@${TYPING_SIGNAL_MS}`, `d@${TYPING_SIGNAL_MS + 10}`]);
    // Sent (the box emptied): the next message's first keystroke signals at once, the blank text never.
    now += 10;
    signal.changed("d", "   ");
    signal.changed("d", "");
    expect(sent).toHaveLength(3);
    signal.changed("d", "y");
    expect(sent).toEqual(["c@0", `c@${TYPING_SIGNAL_MS}`, `d@${TYPING_SIGNAL_MS + 10}`, `d@${TYPING_SIGNAL_MS + 20}`]);
  });
});
