import { describe, expect, it } from "vitest";
import { sameComposerProps, type ComposerProps } from "./composer.js";

const onSend = async () => {};
const onTyping = () => {};
const props = (over: Partial<ComposerProps> = {}): ComposerProps => ({ conversationId: "c1", onSend, onTyping, reply: null, prefill: null, focusKey: 0, ...over });

describe("sameComposerProps: when the composer is drawn again", () => {
  it("not when the conversation draws again with the same callbacks and the quote built again", () => {
    expect(sameComposerProps(props(), props())).toBe(true);
    expect(sameComposerProps(props({ reply: { who: "Bob", text: "hi" } }), props({ reply: { who: "Bob", text: "hi" } }))).toBe(true);
  });

  it("for another quote, a quote added or removed, text put back, a focus request, another callback", () => {
    const quoting = props({ reply: { who: "Bob", text: "hi" } });
    expect(sameComposerProps(quoting, props({ reply: { who: "Bob", text: "hello" } }))).toBe(false);
    expect(sameComposerProps(quoting, props({ reply: { who: "Ann", text: "hi" } }))).toBe(false);
    expect(sameComposerProps(quoting, props())).toBe(false);
    expect(sameComposerProps(props(), quoting)).toBe(false);
    expect(sameComposerProps(props(), props({ prefill: { text: "recalled", nonce: 1 } }))).toBe(false);
    expect(sameComposerProps(props(), props({ focusKey: 1 }))).toBe(false);
    expect(sameComposerProps(props(), props({ onSend: async () => {} }))).toBe(false);
    expect(sameComposerProps(props(), props({ disabled: true }))).toBe(false);
  });
});
