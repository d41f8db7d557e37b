import { z } from "zod";
import { humanText, idSchema, MESSAGE_BODY_MAX, queryInt, uuidSchema } from "./common.js";
import { lazy } from "./lazy.js";

/**
 * "system" (extension) is written by the server, e.g. for order steps.
 * "image" and "location" are the contract's (Media and rich messages);
 * "offer" (extension, docs/marketplace.md) is a price offered in an item
 * chat, written by the server when an offer is made or countered.
 */
export const messageKindSchema = lazy(() => z.enum(["text", "system", "image", "location", "offer"]));

/** A stored, re-encoded image as messages and listings carry it (`url`/`thumbUrl` are this server's paths). */
export const mediaSchema = lazy(() => z.object({
  id: idSchema,
  mime: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  url: z.string(),
  thumbUrl: z.string(),
}));
export type Media = z.infer<typeof mediaSchema>;
/** What `POST /api/media` answers: the media plus its size in bytes. */
export const uploadedMediaSchema = lazy(() => mediaSchema.extend({ bytes: z.number().int().nonnegative() }));
export type UploadedMedia = z.infer<typeof uploadedMediaSchema>;
export const MEDIA_PER_MESSAGE_MAX = 9;
export const MEDIA_MAX_BYTES_DEFAULT = 10 * 1024 * 1024;

/** An approximate place (the app rounds to about 100 m before it sends; the server rounds again). */
export const locationSchema = lazy(() => z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  label: humanText(200, { trim: true }).optional(),
}));
export type Location = z.infer<typeof locationSchema>;

/** What an offer message shows: the offer it was written for, as it was then (its state arrives as `offer` entries). */
export const offerRefSchema = lazy(() => z.object({ id: idSchema, priceCents: z.number().int().nonnegative(), by: idSchema }));

export const messageSchema = lazy(() => z.object({
  id: idSchema,
  conversationId: idSchema,
  seq: z.number().int().positive(),
  senderId: idSchema,
  clientMsgId: z.string(),
  kind: messageKindSchema,
  body: z.string(),
  at: z.number(),
  /** Recalled by its sender: `body` is "" and stays so everywhere (docs/messages.md). */
  recalled: z.boolean().optional(),
  /**
   * extension: only in this user's own copies (a pull of the msg entry) once
   * they deleted it for themselves; `body` is "". A client removes it.
   */
  hidden: z.boolean().optional(),
  /**
   * extension: the message this one quotes. Only its place, never its text:
   * a client shows the quoted message from what it holds (or loads it), so a
   * recall of the quoted message leaves no copy of its text behind.
   */
  replyTo: z.object({ id: idSchema, seq: z.number().int().positive() }).optional(),
  /** kind "image": the photos, in the order sent (1–9); `body` is the caption or "". */
  media: z.array(mediaSchema).optional(),
  /** kind "location": the place shared. */
  location: locationSchema.optional(),
  /** extension, kind "offer": the offer this message announced. */
  offer: offerRefSchema.optional(),
}));
export type Message = z.infer<typeof messageSchema>;

/**
 * A send. One object for every kind (not a union: most code reads `body`):
 * - "text": `body` 1..4000 characters;
 * - "image" (contract): `mediaIds`, 1–9 of the sender's own uploads, each once, and an optional caption `body`;
 * - "location" (contract): `location`, no body.
 */
export const sendRequestSchema = lazy(() => z
  .strictObject({
    clientMsgId: uuidSchema,
    conversationId: idSchema,
    kind: z.enum(["text", "image", "location"]),
    /** Stored as sent (not trimmed): what the sender typed is what every member sees. "" only for a photo without a caption. */
    body: z.union([z.literal(""), humanText(MESSAGE_BODY_MAX)]).default(""),
    mediaIds: z.array(idSchema).min(1).max(MEDIA_PER_MESSAGE_MAX).optional(),
    location: locationSchema.optional(),
    /** extension: the id of a message of the same conversation this one quotes (`400` otherwise). */
    replyTo: idSchema.optional(),
  })
  .superRefine((m, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (m.kind === "text" && m.body === "") problem("body", "Body is required.");
    if (m.kind !== "image" && m.mediaIds) problem("mediaIds", "Only a photo message carries photos.");
    if (m.kind !== "location" && m.location) problem("location", "Only a location message carries a place.");
    if (m.kind === "image" && !m.mediaIds) problem("mediaIds", "A photo message needs 1 to 9 photos.");
    if (m.kind === "image" && m.mediaIds && new Set(m.mediaIds).size !== m.mediaIds.length) problem("mediaIds", "Each photo can be sent once per message.");
    if (m.kind === "location" && !m.location) problem("location", "A location message needs a place.");
    if (m.kind === "location" && m.body !== "") problem("body", "A location message has no text; put it in the place's label.");
  }));
export type SendRequest = z.infer<typeof sendRequestSchema>;

export const historyQuerySchema = lazy(() => z.strictObject({
  before: queryInt(1, Number.MAX_SAFE_INTEGER).optional(),
  limit: queryInt(1, 100).optional(),
}));

/** Socket `emit("recall", {messageId}, cb)`; HTTP `POST /api/messages/:id/recall` takes the id from the path. */
export const recallRequestSchema = lazy(() => z.strictObject({ messageId: idSchema }));

/** How long after a message's `at` its sender may recall it (`RECALL_WINDOW_MS`). */
export const RECALL_WINDOW_MS_DEFAULT = 120_000;

/** `GET /api/search`: `q` is 1..100 code points after trimming; `before` is the opaque cursor of the previous page. */
export const SEARCH_QUERY_MAX = 100;
export const searchQuerySchema = lazy(() => z.strictObject({
  q: z
    .string()
    .trim()
    .refine((q) => [...q].length >= 1, "Type something to search for.")
    .refine((q) => [...q].length <= SEARCH_QUERY_MAX, `Search for at most ${SEARCH_QUERY_MAX} characters.`),
  conversationId: idSchema.optional(),
  before: z.string().min(1).max(200).optional(),
  limit: queryInt(1, 50).optional(),
}));
export type SearchQuery = z.infer<typeof searchQuerySchema>;

export const searchResponseSchema = lazy(() => z.object({
  results: z.array(z.object({ message: messageSchema })),
  before: z.string().optional(),
}));
export type SearchResponse = z.infer<typeof searchResponseSchema>;

/**
 * What search compares: NFKC, then lower case (the contract's substring
 * semantics). Server and web use this one function, so a query matches the
 * same messages here and there.
 */
export function searchNormalize(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}

/**
 * What search compares for a message: its normalised body (a photo's
 * caption included), or "" for a line that is never found (a system line, a
 * kind a client does not know). The
 * server stores it beside each new message as `search_text`; the web app
 * indexes what it finds (web/search/local-index.ts), so both find the same
 * messages. A recall empties the body, so a recalled message is never found.
 */
export function searchTextOf(m: { kind: string; body: string }): string {
  return m.kind === "text" || m.kind === "image" ? searchNormalize(m.body) : "";
}

/** Where a message is in search order (a search cursor names one). */
export interface SearchPlace {
  at: number;
  conversationId: string;
  seq: number;
}

/**
 * Search order, part of the contract (`GET /api/search` pages in it, the web
 * app merges its own results into it): newer first by `at`, then by
 * conversation id, then by `seq`, each descending. Negative: `a` comes first.
 */
export function searchOrder(a: SearchPlace, b: SearchPlace): number {
  return b.at - a.at || (a.conversationId < b.conversationId ? 1 : a.conversationId > b.conversationId ? -1 : 0) || b.seq - a.seq;
}
