import { CourierError, uuidSchema } from "../../shared/protocol/index.js";
import type { SearchCursor } from "../storage/tx.js";

/**
 * The opaque `before` of a search page: base64url of "at.seq.conversationId"
 * of the place the next page starts below: `at` a safe whole number >= 0,
 * `seq` one >= 1, the conversation id a UUID (the only ids the server makes
 * for conversations). Anything else (a cursor made up, cut short or edited)
 * is a 400, never a query.
 */
export function encodeCursor(c: SearchCursor): string {
  return Buffer.from(`${c.at}.${c.seq}.${c.conversationId}`, "utf8").toString("base64url");
}

const WHOLE = /^(0|[1-9]\d{0,15})\.([1-9]\d{0,15})\.(.+)$/s;

export function decodeCursor(before: string): SearchCursor {
  const text = Buffer.from(before, "base64url").toString("utf8");
  const parts = WHOLE.exec(text);
  const at = Number(parts?.[1]);
  const seq = Number(parts?.[2]);
  const cursor = { at, seq, conversationId: parts?.[3] ?? "" };
  // Only a cursor this server could have written: the same text back, numbers in range, a conversation's UUID.
  if (!parts || !Number.isSafeInteger(at) || !Number.isSafeInteger(seq) || !uuidSchema.safeParse(cursor.conversationId).success || encodeCursor(cursor) !== before) {
    throw CourierError.badRequest("before is not a cursor from a previous search page.");
  }
  return cursor;
}
