import type Database from "better-sqlite3";
import type { Message } from "../../../shared/protocol/index.js";
import type { MessageRepo } from "../tx.js";
import { currentMember, hiddenOfOthersAfter, notHiddenBy } from "../membership-sql.js";
import { locationColumns, offerColumns, toMessage, type MessageRow } from "../rows.js";
import { searchTextOf } from "../search-text.js";

const NOT_HIDDEN = notHiddenBy("?");

/** Messages, stored once per conversation (entries only reference them). */
export class MessageStore implements MessageRepo {
  private readonly s;

  constructor(
    db: Database.Database,
    /** A row with search text went in: it waits in message_search_pending for the indexer (search-indexer.ts). */
    private readonly onSearchable: () => void = () => {},
  ) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at, reply_to_id, reply_to_seq, search_text,
           location_lat, location_lng, location_label, offer_id, offer_price_cents, offer_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare<[string], MessageRow>(`SELECT * FROM messages WHERE id = ?`),
      byClient: db.prepare<[string, string], MessageRow>(`SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?`),
      bySeq: db.prepare<[string, number], MessageRow>(`SELECT * FROM messages WHERE conversation_id = ? AND seq = ?`),
      // The hides' primary key (user_id, message_id) answers NOT EXISTS per row; '' is no user.
      before: db.prepare<[string, number, string, number], MessageRow>(
        `SELECT * FROM (
           SELECT * FROM messages m WHERE conversation_id = ? AND seq < ? AND ${NOT_HIDDEN} ORDER BY seq DESC LIMIT +?
         ) ORDER BY seq`,
      ),
      // Walks the (conversation_id, seq) unique index over the range only.
      sendersBetween: db.prepare<[string, number, number, string], { sender_id: string }>(
        `SELECT DISTINCT m.sender_id FROM messages m
         JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = m.sender_id AND ${currentMember("mb")}
         WHERE m.conversation_id = ? AND m.seq > ? AND m.seq <= ? AND m.sender_id != ?`,
      ),
      // The range's count, less the viewer's hides in it (few): not a hides lookup per unread row.
      unread: db.prepare<[string, number, string, string, string, number, string], { n: number }>(
        `SELECT (SELECT count(*) FROM messages WHERE conversation_id = ? AND seq > ? AND sender_id != ?) - ${hiddenOfOthersAfter(["?", "?", "?", "?"])} AS n`,
      ),
      // The content and its search text go in one statement (search never finds a recalled message: its
      // search_text is ''); migration 7's message_search_cleared trigger stays as a guard for other rewrites.
      recall: db.prepare(`UPDATE messages SET body = '', search_text = '', recalled = 1, recalled_at = ?,
         location_lat = NULL, location_lng = NULL, location_label = NULL WHERE id = ?`),
      hide: db.prepare(`INSERT OR IGNORE INTO message_hides (user_id, message_id, conversation_id, seq, at) VALUES (?, ?, ?, ?, ?)`),
      // Each member row (gone ones too) probes the hides' primary key.
      hiders: db.prepare<[string, string], { user_id: string }>(
        `SELECT h.user_id FROM members mb JOIN message_hides h ON h.user_id = mb.user_id AND h.message_id = ? WHERE mb.conversation_id = ?`,
      ),
    };
  }

  insert(m: Message): void {
    const searchText = searchTextOf(m);
    this.s.insert.run(
      m.id, m.conversationId, m.seq, m.senderId, m.clientMsgId, m.kind, m.body, m.at, m.replyTo?.id ?? null, m.replyTo?.seq ?? null, searchText,
      ...locationColumns(m),
      ...offerColumns(m),
    );
    if (searchText !== "") this.onSearchable();
  }

  get(id: string): Message | null {
    const row = this.s.get.get(id);
    return row ? toMessage(row) : null;
  }

  byClientId(senderId: string, clientMsgId: string): Message | null {
    const row = this.s.byClient.get(senderId, clientMsgId);
    return row ? toMessage(row) : null;
  }

  bySeq(conversationId: string, seq: number): Message | null {
    const row = this.s.bySeq.get(conversationId, seq);
    return row ? toMessage(row) : null;
  }

  page(conversationId: string, before: number | null, limit: number, viewerId: string | null): Message[] {
    return this.s.before.all(conversationId, before ?? Number.MAX_SAFE_INTEGER, viewerId ?? "", limit).map(toMessage);
  }

  /** Members (other than `excludeId`) who sent a message with seq in (after, upTo]. */
  sendersBetween(conversationId: string, after: number, upTo: number, excludeId: string): string[] {
    return this.s.sendersBetween.all(conversationId, after, upTo, excludeId).map((r) => r.sender_id);
  }

  unread(conversationId: string, readSeq: number, userId: string): number {
    return this.s.unread.get(conversationId, readSeq, userId, userId, conversationId, readSeq, userId)!.n;
  }

  recall(id: string, at: number): void {
    this.s.recall.run(at, id);
  }

  hide(userId: string, m: Message, at: number): boolean {
    return this.s.hide.run(userId, m.id, m.conversationId, m.seq, at).changes > 0;
  }

  hiders(m: Message): string[] {
    return this.s.hiders.all(m.id, m.conversationId).map((r) => r.user_id);
  }
}
