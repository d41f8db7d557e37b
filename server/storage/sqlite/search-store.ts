import type Database from "better-sqlite3";
import type { Message } from "../../../shared/protocol/index.js";
import { activeMember } from "../membership-sql.js";
import { toMessage, type MessageRow } from "../rows.js";
import { type ConversationScan, mergeScans, seqBound } from "../search-text.js";
import type { ScanPage, SearchCursor, SearchRepo } from "../tx.js";

/** Neither recalled nor deleted by the searcher (`?`: their id) for themselves; system lines have no search text. */
const SHOWN = `m.recalled = 0 AND NOT EXISTS (SELECT 1 FROM message_hides h WHERE h.user_id = ? AND h.message_id = m.id)`;

/** An FTS5 phrase: the needle as one quoted string (its own quotes doubled), matched as a substring by the trigram tokenizer. */
const phrase = (needle: string) => `"${needle.replaceAll('"', '""')}"`;

/**
 * Server search on SQLite (docs/messages.md): FTS5 trigram (`message_search`,
 * kept by triggers on `messages.search_text`) for 3+ characters; newest-first
 * reads through `messages_conversation_at` for scans.
 */
export class SearchStore implements SearchRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      active: db.prepare<[string], { conversation_id: string }>(`SELECT conversation_id FROM members WHERE user_id = ? AND ${activeMember()}`),
      // The trigram index first (CROSS JOIN keeps that order), then each hit's row: in scope, shown, older than the cursor.
      find: db.prepare<[string, string, string, string, number, number, string, string, number, number], MessageRow>(
        `SELECT m.* FROM message_search s CROSS JOIN messages m ON m.rowid = s.rowid
         WHERE message_search MATCH ? AND instr(m.search_text, ?) > 0
           AND m.conversation_id IN (SELECT value FROM json_each(?)) AND ${SHOWN}
           AND (m.at < ? OR (m.at = ? AND (m.conversation_id < ? OR (m.conversation_id = ? AND m.seq < ?))))
         ORDER BY m.at DESC, m.conversation_id DESC, m.seq DESC LIMIT ?`,
      ),
      // Where reading `window` rows of one conversation below the bound stops (none: fewer rows than that).
      horizon: db.prepare<[string, number, number, number, number], { at: number; seq: number }>(
        `SELECT at, seq FROM messages WHERE conversation_id = ? AND at <= ? AND (at < ? OR seq < ?)
         ORDER BY at DESC, seq DESC LIMIT 1 OFFSET ?`,
      ),
      // The rows read to find the horizon, those with a match: the same range of the same index.
      scan: db.prepare<[string, number, number, number, number, number, number, string, string, number], MessageRow>(
        `SELECT m.* FROM messages m
         WHERE m.conversation_id = ? AND m.at <= ? AND (m.at < ? OR m.seq < ?) AND m.at >= ? AND (m.at > ? OR m.seq >= ?)
           AND instr(m.search_text, ?) > 0 AND ${SHOWN}
         ORDER BY m.at DESC, m.seq DESC LIMIT ?`,
      ),
    };
  }

  activeConversationIds(userId: string): string[] {
    return this.s.active.all(userId).map((r) => r.conversation_id);
  }

  find(userId: string, needle: string, conversationIds: readonly string[], before: SearchCursor | null, limit: number): Message[] {
    const b = before ?? { at: Number.MAX_SAFE_INTEGER, conversationId: "", seq: 0 };
    return this.s.find
      .all(phrase(needle), needle, JSON.stringify(conversationIds), userId, b.at, b.at, b.conversationId, b.conversationId, b.seq, limit)
      .map(toMessage);
  }

  scan(userId: string, needle: string, conversationIds: readonly string[], before: SearchCursor | null, limit: number, window: number): ScanPage {
    const scans: ConversationScan[] = conversationIds.map((conversationId) => {
      const bound = seqBound(conversationId, before);
      const stop = this.s.horizon.get(conversationId, bound.at, bound.at, bound.seq, window - 1);
      const from = stop ?? { at: -1, seq: 0 };
      const matches = this.s.scan
        .all(conversationId, bound.at, bound.at, bound.seq, from.at, from.at, from.seq, needle, userId, limit)
        .map(toMessage);
      return { matches, horizon: stop ? { at: stop.at, conversationId, seq: stop.seq } : null };
    });
    return mergeScans(scans, limit);
  }
}
