import { z } from "zod";
import { lazy } from "./lazy.js";

/**
 * Web Push (contract "Delivery", plus Courier's extensions marked below).
 * The server encrypts `PushPayload` as JSON (RFC 8291 aes128gcm, VAPID RFC 8292)
 * to the subscription a device sent with `PUT /api/devices/:id`.
 */

/** `GET /api/push/vapid-public-key` → `{key}`: base64url of the 65-byte uncompressed P-256 point. */
export const VAPID_KEY_PATH = "/api/push/vapid-public-key";
export const vapidKeyResponseSchema = lazy(() => z.object({ key: z.string().regex(/^[A-Za-z0-9_-]{87}$/) }));

/** Categories set urgency and TTL; marketing is quota-limited. */
export const PUSH_CATEGORIES = ["chat", "order", "follow", "marketing"] as const;
export const pushCategorySchema = lazy(() => z.enum(PUSH_CATEGORIES));
export type PushCategory = z.infer<typeof pushCategorySchema>;

/** The payload must fit the push services' 4 KB limit once encrypted; the server trims `body`. */
export const PUSH_PAYLOAD_MAX_BYTES = 3_000;

/**
 * extension: what the notification says, as a key of the `push` catalog and
 * the values its wording needs, so a service worker can word it in the
 * language its page uses (web/sw/push-words.ts). `title`/`body` stay English:
 * older workers show them, and so does a worker that cannot read `words`.
 */
export const PUSH_WORDS_KEYS = ["chat.direct", "chat.group", "order", "offer", "follow", "recall", "hide"] as const;
export const pushWordsKeySchema = lazy(() => z.enum(PUSH_WORDS_KEYS));
export type PushWordsKey = z.infer<typeof pushWordsKeySchema>;
/**
 * `values` (all optional, by key): `count`; `name` (sender, actor, follower,
 * recaller); `group` (a group's title; "" for an untitled group); `preview`
 * (the text, or a photo's caption); `photo` (1: the message is a photo);
 * `hidden` (1: the user hides previews: no text, no item); `item` (an item's
 * title); `status` (an order's); `step` (an offer's: offered, countered,
 * accepted, declined, withdrawn); `priceCents`; `username`.
 */
export const pushWordsSchema = lazy(() => z.object({
  key: pushWordsKeySchema,
  values: z.record(z.string(), z.union([z.string(), z.number()])),
}));
export type PushWords = z.infer<typeof pushWordsSchema>;

export const pushPayloadSchema = lazy(() => z.object({
  category: pushCategorySchema,
  title: z.string(),
  /** The text preview, or a neutral line when the user hides previews. */
  body: z.string(),
  conversationId: z.string().optional(),
  /** Where a click goes, relative to the app (`/#/c/<id>`). */
  url: z.string(),
  /** How many unseen items the notification stands for ("3 new messages from Alice"). */
  count: z.number().int().positive(),
  at: z.number(),
  /** extension: the notification tag (one per conversation), so a newer one replaces the older. */
  tag: z.string().optional(),
  /** extension: the id the service worker reports `displayed`/`clicked` with. */
  id: z.string().optional(),
  /** extension (chat): the message whose text `body` previews, so a recall can find the notification. */
  messageId: z.string().optional(),
  /**
   * extension (chat): `"recall"`: `messageId` was recalled; a notification
   * showing it is replaced by this one (`body` "Ann recalled a message"), any
   * other is left alone. Never carries the recalled text. `"hide"`: the
   * user deleted `messageId` for themselves; the same, keeping the shown
   * title (`body` "Message deleted").
   */
  kind: z.enum(["recall", "hide"]).optional(),
  /** extension: the wording as a catalog key and values, for a worker that words it in its page's language. */
  words: pushWordsSchema.optional(),
}));
export type PushPayload = z.infer<typeof pushPayloadSchema>;

/**
 * What replaces a notification that showed a message now recalled: "Ann
 * recalled a message", titled with her name (the group's in groups). Names
 * only, never the text. Built by the server (a push) and by a live tab,
 * which tells its service worker (web/push/sw-bridge.ts).
 */
export function recallNotice(r: { conversationId: string; messageId: string; at: number; byName: string; groupTitle: string | null }): PushPayload {
  const title = r.groupTitle === null ? r.byName : r.groupTitle.trim() || "your group";
  const words: PushWords = { key: "recall", values: { name: r.byName, ...(r.groupTitle === null ? {} : { group: r.groupTitle.trim() }) } };
  return { ...replacement("recall", r, title, `${r.byName} recalled a message`), words };
}

/** What replaces a notification that showed a message its user then deleted for themselves (the service worker keeps the title). */
export function hiddenNotice(h: { conversationId: string; messageId: string; at: number }): PushPayload {
  return { ...replacement("hide", h, "Courier", "Message deleted"), words: { key: "hide", values: {} } };
}

/** A notification replacing the one under the conversation's tag that shows `messageId`. */
function replacement(kind: "recall" | "hide", m: { conversationId: string; messageId: string; at: number }, title: string, body: string): PushPayload {
  const { conversationId, messageId, at } = m;
  return { category: "chat", kind, title, body, conversationId, messageId, url: `/#/c/${encodeURIComponent(conversationId)}`, count: 1, at, tag: `c:${conversationId}` };
}

/** extension `POST /api/push/receipts {id, event}` → 204: the service worker's funnel report. */
export const PUSH_RECEIPTS_PATH = "/api/push/receipts";
export const pushReceiptSchema = lazy(() => z.strictObject({
  id: z.string().min(1).max(64),
  event: z.enum(["displayed", "clicked"]),
}));
export type PushReceipt = z.infer<typeof pushReceiptSchema>;

/** extension `GET|PUT /api/push/preferences` → `{hidePreviews}`: per user, on every device. */
export const PUSH_PREFERENCES_PATH = "/api/push/preferences";
export const pushPreferencesSchema = lazy(() => z.strictObject({ hidePreviews: z.boolean() }));
export type PushPreferences = z.infer<typeof pushPreferencesSchema>;
