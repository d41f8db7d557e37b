import { type Message, searchOrder } from "../../shared/protocol/index.js";
import type { ScanPage, SearchCursor } from "./tx.js";

// What search compares for a new message (stored beside it as `search_text`,
// docs/messages.md) and the search order: one definition each for the server
// and the web app, in the shared protocol. A recall empties search_text (the
// engines' `recall` UPDATE sets body and search_text to '' together), so a
// recalled message is never found.
export { searchOrder, searchTextOf } from "../../shared/protocol/index.js";

/**
 * Within one conversation, what is older than `before` in search order is
 * `(at, seq) < (at, seq bound)`: ties on `at` are broken by conversation id
 * first, so a conversation after the cursor's keeps no row of that `at`, one
 * before it keeps them all.
 */
export function seqBound(conversationId: string, before: SearchCursor | null): { at: number; seq: number } {
  if (!before) return { at: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };
  const seq = conversationId < before.conversationId ? Number.MAX_SAFE_INTEGER : conversationId === before.conversationId ? before.seq : 0;
  return { at: before.at, seq };
}

/**
 * One conversation's part of a scan: its newest matches, and where its
 * reading stopped short (null: at its start). `full`: it found as many as
 * were asked for and stopped there (its last match is where it stopped).
 */
export interface ConversationScan {
  matches: Message[];
  horizon: SearchCursor | null;
  full: boolean;
}

const place = (m: Message): SearchCursor => ({ at: m.at, conversationId: m.conversationId, seq: m.seq });

/**
 * Puts conversations' scans together: the newest of them all where every
 * conversation was read (at or after the newest stopping place), at most `limit`.
 */
export function mergeScans(scans: readonly ConversationScan[], limit: number): ScanPage {
  let horizon: SearchCursor | null = null;
  for (const s of scans) {
    const stop = s.full ? place(s.matches.at(-1)!) : s.horizon;
    if (stop && (!horizon || searchOrder(stop, horizon) < 0)) horizon = stop;
  }
  const messages = scans
    .flatMap((s) => s.matches)
    .filter((m) => !horizon || searchOrder(m, horizon) <= 0)
    .sort(searchOrder)
    .slice(0, limit);
  return { messages, horizon };
}
