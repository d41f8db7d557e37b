import { locationText, type Message, type Offer, type Order, PUSH_PAYLOAD_MAX_BYTES, type PushPayload, type PushWords, type User } from "../../shared/protocol/index.js";
import type { PushConversation } from "../storage/push-types.js";
import { amount } from "../items/items.js";

/**
 * What a notification says. Everything here is pure: the service gathers
 * names and settings, these functions word the payload, `encodePayload` fits
 * it in the size limit. Each also sets `words`: the same wording as a key
 * of the `push` catalog (web/i18n/locales/en/push.ts, whose English is this
 * file's) and its values, so the service worker can say it in the language
 * its page uses (web/sw/push-words.ts); never the text when previews are hidden.
 */

/** A preview longer than this is cut (a notification shows a few lines anyway). */
export const PREVIEW_MAX_CODE_POINTS = 300;
const ELLIPSIS = "…";

/** The first `max` code points of `text` (never half a surrogate pair), with an ellipsis if cut. */
export function truncateCodePoints(text: string, max: number): string {
  const points = Array.from(text);
  if (points.length <= max) return text;
  return points.slice(0, Math.max(0, max)).join("") + ELLIPSIS;
}

/**
 * What a notification previews for a message: its text; "[Photo]" and the
 * caption for photos; the place's label for a location. Null for a kind that
 * is not notified (system lines, offers: their own notifications).
 */
export function messagePreview(m: Pick<Message, "kind" | "body" | "location">): string | null {
  switch (m.kind) {
    case "text":
      return m.body;
    case "image":
      return m.body.trim() ? `[Photo] ${m.body}` : "[Photo]";
    case "location":
      return locationText(m.location);
    default:
      return null;
  }
}

export const conversationUrl = (conversationId: string) => `/#/c/${encodeURIComponent(conversationId)}`;
export const HOME_URL = "/#/";

export interface Common {
  /** The notification id receipts report (`id`). */
  id: string;
  count: number;
  at: number;
  hidePreviews: boolean;
}

export interface ChatLatest {
  senderName: string;
  body: string;
  /** The message `body` previews: a recall finds the notification by it. */
  messageId?: string;
  /** Set when the message is a photo: its caption ("" for none; `body` is then "[Photo] caption"). */
  photoCaption?: string;
}

/** A photo's caption, for `ChatLatest.photoCaption`; undefined for other kinds. */
export function photoCaption(m: Pick<Message, "kind" | "body">): string | undefined {
  return m.kind === "image" ? m.body : undefined;
}

/** "3 new messages from Alice" (direct and item chats) or "… in Climbing" (groups), with the newest text. */
export function chatPayload(c: Common, conversationId: string, conv: PushConversation, latest: ChatLatest): PushPayload {
  const n = c.count;
  const many = n > 1;
  const preview = truncateCodePoints(latest.body.trim(), PREVIEW_MAX_CODE_POINTS);
  const neutral = many ? "Open Courier to read them." : "Open Courier to read it.";
  let title: string;
  let body: string;
  const shown: PushWords["values"] = c.hidePreviews
    ? { hidden: 1 }
    : latest.photoCaption !== undefined
      ? { photo: 1, preview: truncateCodePoints(latest.photoCaption.trim(), PREVIEW_MAX_CODE_POINTS) }
      : { preview };
  let words: PushWords;
  if (conv.type === "group") {
    const group = conv.title?.trim() || "your group";
    title = many ? `${n} new messages in ${group}` : `New message in ${group}`;
    body = c.hidePreviews ? neutral : `${latest.senderName}: ${preview}`;
    words = { key: "chat.group", values: { count: n, group: conv.title?.trim() ?? "", ...(c.hidePreviews ? {} : { name: latest.senderName }), ...shown } };
  } else {
    title = many ? `${n} new messages from ${latest.senderName}` : `New message from ${latest.senderName}`;
    body = c.hidePreviews ? neutral : preview;
    words = { key: "chat.direct", values: { count: n, name: latest.senderName, ...shown } };
  }
  return {
    category: "chat",
    title,
    body,
    conversationId,
    url: conversationUrl(conversationId),
    count: n,
    at: c.at,
    tag: `c:${conversationId}`,
    id: c.id,
    ...(latest.messageId ? { messageId: latest.messageId } : {}),
    words,
  };
}

const ORDER_STEP: Record<Order["status"], string> = {
  bought: "bought it",
  shipped: "marked it as shipped",
  received: "confirmed receipt",
  cancelled: "cancelled the order",
};

/** An order's or an offer's notification (category "order"): "Order: “Bike”" / "Bob marked it as shipped". */
function tradePayload(c: Common, what: "Order" | "Offer", conversationId: string, tag: string, itemTitle: string | null, line: string, step: PushWords["values"]): PushPayload {
  const key = what === "Order" ? "order" : "offer";
  const words: PushWords = c.hidePreviews
    ? { key, values: { hidden: 1 } }
    : { key, values: { ...(itemTitle === null ? {} : { item: truncateCodePoints(itemTitle, 80) }), ...step } };
  return {
    category: "order",
    title: c.hidePreviews ? `${what} update` : `${what}: ${truncateCodePoints(itemTitle ?? "your item", 80)}`,
    body: c.hidePreviews ? "Open Courier for details." : line,
    conversationId,
    url: conversationUrl(conversationId),
    count: c.count,
    at: c.at,
    tag,
    id: c.id,
    words,
  };
}

/** "“Bike”: Bob marked it as shipped" — the newest step of an order. */
export function orderPayload(c: Common, order: Order, itemTitle: string | null, actorName: string): PushPayload {
  return tradePayload(c, "Order", order.conversationId, `o:${order.id}`, itemTitle, `${actorName} ${ORDER_STEP[order.status]}`, {
    name: actorName,
    status: order.status,
  });
}

/** What the other party did to an offer, by its state (countered and expired offers are not announced). */
function offerStep(offer: Offer): string {
  switch (offer.status) {
    case "open":
      return `${offer.counterOf ? "countered with" : "offered"} ${amount(offer.priceCents)}`;
    case "accepted":
      return `accepted your offer of ${amount(offer.priceCents)}`;
    case "declined":
      return `declined your offer of ${amount(offer.priceCents)}`;
    default:
      return `withdrew the offer of ${amount(offer.priceCents)}`;
  }
}

/** The same, as a key of the `push.offer` catalog. */
function offerWordsStep(offer: Offer): string {
  switch (offer.status) {
    case "open":
      return offer.counterOf ? "countered" : "offered";
    case "accepted":
    case "declined":
      return offer.status;
    default:
      return "withdrawn";
  }
}

/** "Offer: “Bike”" / "Bob countered with 45.00" — the newest change of the offers in one item chat. */
export function offerPayload(c: Common, offer: Offer, itemTitle: string | null, actorName: string): PushPayload {
  return tradePayload(c, "Offer", offer.conversationId, offerTag(offer), itemTitle, `${actorName} ${offerStep(offer)}`, {
    name: actorName,
    step: offerWordsStep(offer),
    priceCents: offer.priceCents,
  });
}

/** One notification (and collapse key) for the offers of one item chat. */
export const offerTag = (offer: Pick<Offer, "conversationId">): string => `of:${offer.conversationId}`;

/** "Alice started following you", or "3 new followers" for a burst. */
export function followPayload(c: Common, follower: User): PushPayload {
  const many = c.count > 1;
  return {
    category: "follow",
    title: many ? `${c.count} new followers` : `${follower.displayName} started following you`,
    body: many ? `The latest: ${follower.displayName} (@${follower.username})` : `@${follower.username}`,
    url: HOME_URL,
    count: c.count,
    at: c.at,
    tag: "follow",
    id: c.id,
    words: { key: "follow", values: { count: c.count, name: follower.displayName, username: follower.username } },
  };
}

export interface Campaign {
  campaignId: string;
  title: string;
  body: string;
  url?: string;
}

export function marketingPayload(c: Common, campaign: Campaign): PushPayload {
  return {
    category: "marketing",
    title: campaign.title,
    body: campaign.body,
    url: campaign.url ?? HOME_URL,
    count: c.count,
    at: c.at,
    tag: `promo:${campaign.campaignId}`,
    id: c.id,
  };
}

const bytes = (p: PushPayload) => Buffer.byteLength(JSON.stringify(p), "utf8");

/** Largest k such that `fits(k)`, for k in [0, n], given fits is monotone. */
function largest(n: number, fits: (k: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** `p` with `body` cut to `k` code points, and the preview in `words` with it (it is the same text, or part of it). */
function withBody(p: PushPayload, k: number): PushPayload {
  const cut = (text: string) => (k === 0 ? "" : truncateCodePoints(text, k));
  const preview = p.words?.values.preview;
  const words = p.words && typeof preview === "string" ? { ...p.words, values: { ...p.words.values, preview: cut(preview) } } : p.words;
  return { ...p, body: cut(p.body), ...(words ? { words } : {}) };
}

/**
 * The payload as JSON within `maxBytes` (UTF-8): the body (and the preview
 * in `words`) is cut on a code point boundary (with an ellipsis) until it
 * fits; then `words` is left out (the worker shows the English title and
 * body); then the title is cut if it must.
 */
export function encodePayload(payload: PushPayload, maxBytes = PUSH_PAYLOAD_MAX_BYTES): string {
  let p = payload;
  if (bytes(p) <= maxBytes) return JSON.stringify(p);
  const points = Array.from(p.body).length;
  const k = largest(points - 1, (n) => bytes(withBody(p, n)) <= maxBytes);
  p = withBody(p, k);
  if (bytes(p) <= maxBytes) return JSON.stringify(p);
  if (p.words) {
    const { words: _dropped, ...rest } = p;
    p = rest;
    if (bytes(p) <= maxBytes) return JSON.stringify(p);
  }
  const title = p.title;
  const withTitle = (n: number): PushPayload => ({ ...p, title: n === 0 ? "" : truncateCodePoints(title, n) });
  p = withTitle(largest(Array.from(title).length - 1, (n) => bytes(withTitle(n)) <= maxBytes));
  if (bytes(p) <= maxBytes) return JSON.stringify(p);
  throw new Error(`push payload does not fit in ${maxBytes} bytes`);
}
