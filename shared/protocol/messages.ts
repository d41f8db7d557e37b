import { z } from "zod";
import { humanText, idSchema, MESSAGE_BODY_MAX, queryInt, uuidSchema } from "./common.js";

/** "system" (extension) is written by the server, e.g. for order steps. */
export const messageKindSchema = z.enum(["text", "system"]);

export const messageSchema = z.object({
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
});
export type Message = z.infer<typeof messageSchema>;

export const sendRequestSchema = z.strictObject({
  clientMsgId: uuidSchema,
  conversationId: idSchema,
  kind: z.literal("text"),
  /** Stored as sent (not trimmed): what the sender typed is what every member sees. */
  body: humanText(MESSAGE_BODY_MAX),
  /** extension: the id of a message of the same conversation this one quotes (`400` otherwise). */
  replyTo: idSchema.optional(),
});
export type SendRequest = z.infer<typeof sendRequestSchema>;

export const historyQuerySchema = z.strictObject({
  before: queryInt(1, Number.MAX_SAFE_INTEGER).optional(),
  limit: queryInt(1, 100).optional(),
});

/** Socket `emit("recall", {messageId}, cb)`; HTTP `POST /api/messages/:id/recall` takes the id from the path. */
export const recallRequestSchema = z.strictObject({ messageId: idSchema });

/** How long after a message's `at` its sender may recall it (`RECALL_WINDOW_MS`). */
export const RECALL_WINDOW_MS_DEFAULT = 120_000;

/** `GET /api/search`: `q` is 1..100 code points after trimming; `before` is the opaque cursor of the previous page. */
export const SEARCH_QUERY_MAX = 100;
export const searchQuerySchema = z.strictObject({
  q: z
    .string()
    .trim()
    .refine((q) => [...q].length >= 1, "Type something to search for.")
    .refine((q) => [...q].length <= SEARCH_QUERY_MAX, `Search for at most ${SEARCH_QUERY_MAX} characters.`),
  conversationId: idSchema.optional(),
  before: z.string().min(1).max(200).optional(),
  limit: queryInt(1, 50).optional(),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;

export const searchResponseSchema = z.object({
  results: z.array(z.object({ message: messageSchema })),
  before: z.string().optional(),
});
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
 * What search compares for a message: its normalised body, or "" for a line
 * that is never found (a system line, a kind a client does not know). The
 * server stores it beside each new message as `search_text`; the web app
 * indexes what it finds (web/search/local-index.ts), so both find the same
 * messages. A recall empties the body, so a recalled message is never found.
 */
export function searchTextOf(m: { kind: string; body: string }): string {
  return m.kind === "text" ? searchNormalize(m.body) : "";
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
