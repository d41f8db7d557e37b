import type Database from "better-sqlite3";
import type { Message } from "../../../shared/protocol/index.js";
import { activeMember, notHiddenBy } from "../membership-sql.js";
import { toMessage, type MessageRow } from "../rows.js";
import { type ConversationScan, mergeScans, seqBound } from "../search-text.js";
import type { ScanPage, SearchCursor, SearchRepo } from "../tx.js";

/**
 * Not deleted by the searcher (`?`: their id) for themselves. Recalled
 * messages and system lines have search_text '', which no needle (never
 * empty) matches: instr('', x) is 0, and FTS5 holds no row for them.
 */
const SHOWN = notHiddenBy("?");

/** A row `m` that holds the needle, in one of the conversations, shown to the searcher, older than the cursor. */
const IN_SCOPE = `instr(m.search_text, @needle) > 0 AND m.conversation_id IN (SELECT value FROM json_each(@ids)) AND ${notHiddenBy("@user")}
  AND (m.at < @at OR (m.at = @at AND (m.conversation_id < @conv OR (m.conversation_id = @conv AND m.seq < @seq))))`;

interface FindParams {
  phrase: string;
  needle: string;
  ids: string;
  user: string;
  at: number;
  conv: string;
  seq: number;
  limit: number;
}

/** An FTS5 phrase: the needle as one quoted string (its own quotes doubled), matched as a substring by the trigram tokenizer. */
const phrase = (needle: string) => `"${needle.replaceAll('"', '""')}"`;

/**
 * Server search on SQLite (docs/messages.md): FTS5 trigram (`message_search`,
 * kept by triggers on `messages.search_text`, new rows written behind their
 * commit by search-indexer.ts, and the few not yet written read beside it) for 3+ characters; newest-first
 * reads through `messages_conversation_at` for scans.
 */
export class SearchStore implements SearchRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      active: db.prepare<[string], { id: string; lastSeq: number }>(
        `SELECT c.id, c.last_seq AS lastSeq FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = ? AND ${activeMember("m")}`,
      ),
      // The trigram index first (CROSS JOIN keeps that order), then each hit's row: in scope, shown, older
      // than the cursor; beside it the rows not yet indexed (migration 14: a row is in one of the two, never both).
      find: db.prepare<FindParams, MessageRow>(
        `SELECT * FROM (
           SELECT m.* FROM message_search s CROSS JOIN messages m ON m.rowid = s.rowid
           WHERE message_search MATCH @phrase AND ${IN_SCOPE}
           UNION ALL
           SELECT m.* FROM message_search_pending p CROSS JOIN messages m ON m.rowid = p.message_rowid
           WHERE ${IN_SCOPE}
         ) ORDER BY at DESC, conversation_id DESC, seq DESC LIMIT +@limit`,
      ),
      // The matches among the newest `window` rows below the bound, newest first, stopping at `limit` (the
      // subquery runs as a co-routine in index order: no outer ORDER BY, which would read the whole window).
      scan: db.prepare<[string, number, number, number, number, string, string, number], MessageRow>(
        `SELECT * FROM (
           SELECT * FROM messages WHERE conversation_id = ? AND at <= ? AND (at < ? OR seq < ?) ORDER BY at DESC, seq DESC LIMIT +?
         ) AS m
         WHERE instr(m.search_text, ?) > 0 AND ${SHOWN} LIMIT +?`,
      ),
      // Where reading `window` rows below the bound stops (none: fewer rows than that).
      stop: db.prepare<[string, number, number, number, number], { at: number; seq: number }>(
        `SELECT at, seq FROM messages WHERE conversation_id = ? AND at <= ? AND (at < ? OR seq < ?)
         ORDER BY at DESC, seq DESC LIMIT 1 OFFSET ?`,
      ),
    };
  }

  activeConversations(userId: string): { id: string; lastSeq: number }[] {
    return this.s.active.all(userId);
  }

  /** FTS5's trigram tokenizer takes every character: any needle of three or more. */
  indexable(needle: string): boolean {
    return [...needle].length >= 3;
  }

  find(userId: string, needle: string, conversationIds: readonly string[], before: SearchCursor | null, limit: number): Message[] {
    const b = before ?? { at: Number.MAX_SAFE_INTEGER, conversationId: "", seq: 0 };
    return this.s.find
      .all({ phrase: phrase(needle), needle, ids: JSON.stringify(conversationIds), user: userId, at: b.at, conv: b.conversationId, seq: b.seq, limit })
      .map(toMessage);
  }

  scan(userId: string, needle: string, conversationIds: readonly string[], before: SearchCursor | null, limit: number, windows: readonly number[]): ScanPage {
    const scans: ConversationScan[] = conversationIds.map((conversationId, i) => {
      const bound = seqBound(conversationId, before);
      const matches = this.s.scan.all(conversationId, bound.at, bound.at, bound.seq, windows[i]!, needle, userId, limit).map(toMessage);
      if (matches.length === limit) return { matches, horizon: null, full: true };
      const stop = this.s.stop.get(conversationId, bound.at, bound.at, bound.seq, windows[i]! - 1);
      return { matches, horizon: stop ? { at: stop.at, conversationId, seq: stop.seq } : null, full: false };
    });
    return mergeScans(scans, limit);
  }
}
