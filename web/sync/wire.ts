import { entrySchema, type Entry, type TypingFrame, typingFrameSchema } from "../../shared/protocol/index.js";

/**
 * Pushed entries, validated one by one: a malformed entry is dropped (and
 * later pulled, the engine sees the hole) rather than the whole batch.
 */
export function validEntries(raw: unknown): Entry[] {
  if (!Array.isArray(raw)) return [];
  const entries: Entry[] = [];
  for (const item of raw) {
    const parsed = entrySchema.safeParse(item);
    if (parsed.success) entries.push(parsed.data);
    else console.warn("courier: dropping malformed pushed entry", parsed.error.issues[0]);
  }
  return entries;
}

/** A typing frame (socket event, SSE event, or an item of a poll's `ephemeral`), or null when it is not one. */
export function validTyping(raw: unknown): TypingFrame | null {
  const parsed = typingFrameSchema.safeParse(raw);
  return parsed.success ? { conversationId: parsed.data.conversationId, userId: parsed.data.userId } : null;
}

/** JSON text of an SSE `data:` field, or undefined when it is not JSON. */
export function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
