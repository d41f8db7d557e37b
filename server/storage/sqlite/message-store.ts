import type Database from "better-sqlite3";
import type { Message } from "../../../shared/protocol/index.js";
import type { MessageRepo } from "../tx.js";
import { currentMember } from "../membership-sql.js";
import { toMessage, type MessageRow } from "../rows.js";

/** Messages, stored once per conversation (entries only reference them). */
export class MessageStore implements MessageRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byClient: db.prepare<[string, string], MessageRow>(`SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?`),
      bySeq: db.prepare<[string, number], MessageRow>(`SELECT * FROM messages WHERE conversation_id = ? AND seq = ?`),
      before: db.prepare<[string, number, number], MessageRow>(
        `SELECT * FROM (SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
      ),
      // Walks the (conversation_id, seq) unique index over the range only.
      sendersBetween: db.prepare<[string, number, number, string], { sender_id: string }>(
        `SELECT DISTINCT m.sender_id FROM messages m
         JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = m.sender_id AND ${currentMember("mb")}
         WHERE m.conversation_id = ? AND m.seq > ? AND m.seq <= ? AND m.sender_id != ?`,
      ),
      unread: db.prepare<[string, number, string], { n: number }>(
        `SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND seq > ? AND sender_id != ?`,
      ),
    };
  }

  insert(m: Message): void {
    this.s.insert.run(m.id, m.conversationId, m.seq, m.senderId, m.clientMsgId, m.kind, m.body, m.at);
  }

  byClientId(senderId: string, clientMsgId: string): Message | null {
    const row = this.s.byClient.get(senderId, clientMsgId);
    return row ? toMessage(row) : null;
  }

  bySeq(conversationId: string, seq: number): Message | null {
    const row = this.s.bySeq.get(conversationId, seq);
    return row ? toMessage(row) : null;
  }

  /** The `limit` messages just below `before`, ascending (the newest page when before is null). */
  page(conversationId: string, before: number | null, limit: number): Message[] {
    return this.s.before.all(conversationId, before ?? Number.MAX_SAFE_INTEGER, limit).map(toMessage);
  }

  /** Members (other than `excludeId`) who sent a message with seq in (after, upTo]. */
  sendersBetween(conversationId: string, after: number, upTo: number, excludeId: string): string[] {
    return this.s.sendersBetween.all(conversationId, after, upTo, excludeId).map((r) => r.sender_id);
  }

  unread(conversationId: string, readSeq: number, userId: string): number {
    return this.s.unread.get(conversationId, readSeq, userId)!.n;
  }
}
