import type { StoredMessage as Message, StoredSummary as Summary } from "../../db/records.js";
import { deliveryStatus } from "./delivery-status.js";

/** What a message bubble is drawn from (message-list.tsx's MessageBubble props, the parts compared here). */
export interface BubbleProps {
  message: Message;
  me: string;
  myName: string;
  summary: Summary | undefined;
  showSender: boolean;
  actions?: { quoted: ReadonlyMap<string, unknown> };
  handlers?: { tabIndex: number | undefined; flash: boolean };
}

/**
 * Whether a bubble would draw the same as last time, so React can skip it
 * (issue 16: every push re-rendered every bubble of the open conversation,
 * five or six times, each with its translation hooks). Re-drawn when the
 * message's stored fields change, my message's mark changes, its focus stop
 * or flash changes, or the quotes on screen change; a bubble that shows
 * names (a sender line, a quote, a photo's "from", a system line) or is a
 * tombstone (Edit again) also whenever the conversation's summary does. The
 * row's handlers are compared by what they show: their functions call the
 * list's current ones (message-list.tsx), and the language is the bubble's
 * own hook.
 */
export function sameBubble(prev: BubbleProps, next: BubbleProps): boolean {
  if (prev.me !== next.me || prev.myName !== next.myName || prev.showSender !== next.showSender) return false;
  if (!!prev.actions !== !!next.actions || prev.actions?.quoted !== next.actions?.quoted) return false;
  if (!!prev.handlers !== !!next.handlers || prev.handlers?.tabIndex !== next.handlers?.tabIndex || prev.handlers?.flash !== next.handlers?.flash) return false;
  const m = next.message;
  if (!sameMessage(prev.message, m) || m.recalled) return false;
  if (prev.summary !== next.summary) {
    if (next.showSender || m.replyTo || m.kind !== "text") return false;
    if (m.senderId === next.me && deliveryStatus(prev.message, prev.summary, prev.me) !== deliveryStatus(m, next.summary, next.me)) return false;
  }
  return true;
}

/** The same stored message, field by field (a live query reads a new object each time). */
export function sameMessage(a: Message, b: Message): boolean {
  if (a === b) return true;
  const keys = Object.keys(a) as Array<keyof Message>;
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null || JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}
