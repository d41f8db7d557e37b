import { describe, expect, it } from "vitest";
import { ME, message, PEER, summary } from "../../db/test-fixtures.js";
import { sameBubble, type BubbleProps } from "./bubble-memo.js";

const quoted = new Map();
function props(over: Partial<BubbleProps> = {}): BubbleProps {
  return { message: message("c1", 5), me: ME, myName: "Me", summary: summary("c1"), showSender: false, actions: { quoted }, handlers: { tabIndex: -1, flash: false }, ...over };
}
/** The same message read again (a live query gives a new object each time). */
const copy = <T>(value: T): T => structuredClone(value);

describe("sameBubble: what a bubble skips and what it draws again", () => {
  it("skips a push elsewhere in the conversation: the message read again, a new summary, new handler functions", () => {
    const before = props();
    const after = props({ message: copy(before.message), summary: summary("c1", { unread: 3, readSeq: 4 }), handlers: { tabIndex: -1, flash: false } });
    expect(sameBubble(before, after)).toBe(true);
  });

  it("draws an edited text, a recall and a changed photo again", () => {
    const before = props();
    expect(sameBubble(before, props({ message: { ...copy(before.message), body: "edited" } }))).toBe(false);
    expect(sameBubble(before, props({ message: { ...copy(before.message), recalled: true } }))).toBe(false);
    const photo = props({ message: message("c1", 5, { kind: "image", media: [{ id: "p1", width: 10, height: 10 }] } as never) });
    const otherPhoto = props({ message: message("c1", 5, { kind: "image", media: [{ id: "p2", width: 10, height: 10 }] } as never) });
    otherPhoto.message.clientMsgId = photo.message.clientMsgId;
    expect(sameBubble(photo, otherPhoto)).toBe(false);
  });

  it("draws my message again when its mark moves (sent → read), not for a summary change that leaves it", () => {
    const mine = message("c1", 5, { senderId: ME });
    const sent = props({ message: mine, summary: summary("c1") });
    const read = props({ message: copy(mine), summary: summary("c1", { receipts: [{ userId: PEER, readSeq: 5, deliveredSeq: 5 }] } as never) });
    expect(sameBubble(sent, read)).toBe(false);
    const readAgain = props({ message: copy(mine), summary: summary("c1", { unread: 0, receipts: [{ userId: PEER, readSeq: 6, deliveredSeq: 6 }] } as never) });
    expect(sameBubble(read, readAgain)).toBe(true);
  });

  it("draws again when the focus stop or the flash moves to or from it", () => {
    expect(sameBubble(props(), props({ handlers: { tabIndex: 0, flash: false } }))).toBe(false);
    expect(sameBubble(props(), props({ handlers: { tabIndex: -1, flash: true } }))).toBe(false);
  });

  it("draws names again with the summary: a sender line, a quote, a system line; and when the quotes on screen change", () => {
    const group = props({ showSender: true });
    expect(sameBubble(group, { ...group, summary: summary("c1", { unread: 1 }) })).toBe(false);
    const reply = props({ message: message("c1", 5, { replyTo: { id: "c1-m1", seq: 1 } } as never) });
    expect(sameBubble(reply, { ...reply, summary: summary("c1", { unread: 1 }) })).toBe(false);
    expect(sameBubble(reply, { ...reply, actions: { quoted: new Map() } })).toBe(false);
    const system = props({ message: message("c1", 5, { kind: "system", body: "{}" }) });
    expect(sameBubble(system, { ...system, summary: summary("c1", { unread: 1 }) })).toBe(false);
  });
});
