import type Database from "better-sqlite3";
import type { SettingsPatch } from "../../../shared/protocol/index.js";
import type { ConversationRecord, ConversationRepo, MemberRecord } from "../tx.js";
import { toConversationRecord, toMember, type ConversationRow, type MemberRow } from "../rows.js";

/** Conversations, their members and each member's own view (settings, positions). */
export class ConversationStore implements ConversationRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      get: db.prepare<[string], ConversationRow>(`SELECT * FROM conversations WHERE id = ?`),
      byKey: db.prepare<[string], ConversationRow>(`SELECT * FROM conversations WHERE unique_key = ?`),
      ofItem: db.prepare<[string], ConversationRow>(`SELECT * FROM conversations WHERE item_id = ? AND type = 'item'`),
      insert: db.prepare(`INSERT INTO conversations (id, type, item_id, title, unique_key, last_seq, at) VALUES (?, ?, ?, ?, ?, 0, ?)`),
      addMember: db.prepare(`INSERT OR IGNORE INTO members (conversation_id, user_id, at) VALUES (?, ?, ?)`),
      member: db.prepare<[string, string], MemberRow>(`SELECT * FROM members WHERE conversation_id = ? AND user_id = ?`),
      members: db.prepare<[string], MemberRow>(`SELECT * FROM members WHERE conversation_id = ? ORDER BY at, user_id`),
      ofUser: db.prepare<[string], ConversationRow>(
        `SELECT c.* FROM conversations c JOIN members m ON m.conversation_id = c.id WHERE m.user_id = ?`,
      ),
      bumpSeq: db.prepare<[string], { last_seq: number }>(
        `UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`,
      ),
      setRead: db.prepare(
        `UPDATE members SET read_seq = max(read_seq, ?), delivered_seq = max(delivered_seq, ?)
         WHERE conversation_id = ? AND user_id = ?`,
      ),
      setDelivered: db.prepare(`UPDATE members SET delivered_seq = max(delivered_seq, ?) WHERE conversation_id = ? AND user_id = ?`),
      settings: db.prepare(
        `UPDATE members SET muted = coalesce(?, muted), pinned = coalesce(?, pinned),
         remark = coalesce(?, remark), label = coalesce(?, label) WHERE conversation_id = ? AND user_id = ?`,
      ),
    };
  }

  get(id: string): ConversationRecord | null {
    const row = this.s.get.get(id);
    return row ? toConversationRecord(row) : null;
  }

  byKey(key: string): ConversationRecord | null {
    const row = this.s.byKey.get(key);
    return row ? toConversationRecord(row) : null;
  }

  insert(c: Omit<ConversationRecord, "lastSeq">, memberIds: readonly string[]): void {
    this.s.insert.run(c.id, c.type, c.itemId, c.title, c.uniqueKey, c.at);
    for (const userId of memberIds) this.s.addMember.run(c.id, userId, c.at);
  }

  ofItem(itemId: string): ConversationRecord[] {
    return this.s.ofItem.all(itemId).map(toConversationRecord);
  }

  member(conversationId: string, userId: string): MemberRecord | null {
    const row = this.s.member.get(conversationId, userId);
    return row ? toMember(row) : null;
  }

  /** The whole database is locked by the write transaction already. */
  lockMember(conversationId: string, userId: string): MemberRecord | null {
    return this.member(conversationId, userId);
  }

  members(conversationId: string): MemberRecord[] {
    return this.s.members.all(conversationId).map(toMember);
  }

  ofUser(userId: string): ConversationRecord[] {
    return this.s.ofUser.all(userId).map(toConversationRecord);
  }

  nextSeq(conversationId: string): number {
    return this.s.bumpSeq.get(conversationId)!.last_seq;
  }

  advanceRead(conversationId: string, userId: string, seq: number): void {
    this.s.setRead.run(seq, seq, conversationId, userId);
  }

  advanceDelivered(conversationId: string, userId: string, seq: number): void {
    this.s.setDelivered.run(seq, conversationId, userId);
  }

  updateSettings(conversationId: string, userId: string, p: SettingsPatch): void {
    const flag = (b: boolean | undefined) => (b === undefined ? null : b ? 1 : 0);
    this.s.settings.run(flag(p.muted), flag(p.pinned), p.remark ?? null, p.label ?? null, conversationId, userId);
  }
}
