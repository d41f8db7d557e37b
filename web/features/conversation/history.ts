import { Dexie } from "dexie";
import type { CourierDb } from "../../db/database.js";
import { merged } from "../../db/consumers.js";
import type { StoredMessage } from "../../db/records.js";
import type { Session } from "../../session.js";

export const HISTORY_PAGE = 50;
/** The largest page the server gives: a jump to an old message takes as few round trips as it can. */
const JUMP_PAGE = 100;

/**
 * Fetches the page of messages just below `before` (the oldest one held) and
 * stores it, so it is there next time without the network. Returns how many
 * came back: fewer than asked means the beginning was reached.
 */
export async function fetchEarlier({ db, api }: Session, conversationId: string, before: number | undefined, limit = HISTORY_PAGE): Promise<number> {
  const messages = await api.history(conversationId, before, limit);
  await storePage(db, messages);
  return messages.length;
}

/**
 * Writes a history page over what is held. A row held with its text and a
 * copy with its text is the same message: it is left alone, so a page (or a
 * jump's pages) does not rewrite rows, nor have their search terms computed
 * again. Otherwise the copy is merged in: a recall or delete-for-me applied
 * here since the page was read (or before it) keeps its row without text, and
 * the server's tombstone clears a copy held with text.
 */
export async function storePage(db: CourierDb, messages: StoredMessage[]): Promise<void> {
  await db.transaction("rw", db.messages, async () => {
    const held = await db.messages.bulkGet(messages.map((m) => m.id));
    const rows = messages.flatMap((m, i) => {
      const h = held[i];
      return h && !h.recalled && !h.hidden && !m.recalled && !m.hidden ? [] : [merged(h, m)];
    });
    if (rows.length > 0) await db.messages.bulkPut(rows);
  });
}

/** The oldest message of a conversation this device holds (tombstones of deleted-for-me ones aside). */
export function oldestHeld(db: CourierDb, conversationId: string): Promise<StoredMessage | undefined> {
  return db.messages
    .where("[conversationId+seq]")
    .between([conversationId, 1], [conversationId, Dexie.maxKey])
    .filter((m) => !m.hidden)
    .first();
}

/**
 * Loads history down to `seq` (a quoted message far up), page by page below
 * the oldest message held, so what is on screen has no gap. Answers false
 * when the beginning came first (the message is gone for me or never was).
 */
export async function loadDownTo(session: Session, conversationId: string, seq: number, stale: () => boolean = () => false): Promise<boolean> {
  for (;;) {
    const oldest = await oldestHeld(session.db, conversationId);
    if (oldest && oldest.seq <= seq) return true;
    // Left the conversation (or jumped elsewhere): stop paging.
    if (stale() || oldest?.seq === 1) return false;
    const got = await fetchEarlier(session, conversationId, oldest?.seq, JUMP_PAGE);
    if (got < JUMP_PAGE) return ((await oldestHeld(session.db, conversationId))?.seq ?? Infinity) <= seq;
  }
}
