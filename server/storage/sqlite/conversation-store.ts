import type Database from "better-sqlite3";
import type { MemberRole, Membership, SettingsPatch } from "../../../shared/protocol/index.js";
import type { ConversationRecord, ConversationRepo, MemberRecord, NewMember } from "../tx.js";
import { activeMember, currentMember } from "../membership-sql.js";
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
      addMember: db.prepare(
        `INSERT OR IGNORE INTO members (conversation_id, user_id, role, state, added_by, at) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      join: db.prepare(
        `INSERT INTO members (conversation_id, user_id, role, state, added_by, read_seq, delivered_seq, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = excluded.role, state = excluded.state,
           added_by = excluded.added_by, read_seq = excluded.read_seq, delivered_seq = excluded.delivered_seq, at = excluded.at`,
      ),
      member: db.prepare<[string, string], MemberRow>(`SELECT * FROM members WHERE conversation_id = ? AND user_id = ?`),
      members: db.prepare<[string], MemberRow>(
        `SELECT * FROM members WHERE conversation_id = ? AND ${currentMember()} ORDER BY at, user_id`,
      ),
      formerPosters: db.prepare<[string], { user_id: string }>(
        `SELECT user_id FROM members WHERE conversation_id = ? AND NOT (${currentMember()}) AND posted = 1 ORDER BY at, user_id`,
      ),
      ofUser: db.prepare<[string], ConversationRow>(
        `SELECT c.* FROM conversations c JOIN members m ON m.conversation_id = c.id WHERE m.user_id = ? AND ${currentMember("m")}`,
      ),
      setState: db.prepare(`UPDATE members SET state = ? WHERE conversation_id = ? AND user_id = ?`),
      setRole: db.prepare(`UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?`),
      setTitle: db.prepare(`UPDATE conversations SET title = ? WHERE id = ?`),
      // a's conversations by the members_user index, b's row in each by the primary key.
      heardFrom: db.prepare<[string, string], { one: number }>(
        `SELECT 1 AS one FROM members a JOIN members b ON b.conversation_id = a.conversation_id AND b.user_id = ?
         WHERE a.user_id = ? AND ${activeMember("a")} AND ${activeMember("b")} AND b.posted = 1 LIMIT 1`,
      ),
      bumpSeq: db.prepare<[string], { last_seq: number }>(
        `UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`,
      ),
      setRead: db.prepare(
        `UPDATE members SET read_seq = max(read_seq, ?), delivered_seq = max(delivered_seq, ?)
         WHERE conversation_id = ? AND user_id = ?`,
      ),
      posted: db.prepare(
        `UPDATE members SET read_seq = max(read_seq, ?), delivered_seq = max(delivered_seq, ?), posted = 1
         WHERE conversation_id = ? AND user_id = ?`,
      ),
      setDelivered: db.prepare(`UPDATE members SET delivered_seq = max(delivered_seq, ?) WHERE conversation_id = ? AND user_id = ?`),
      settings: db.prepare(
        `UPDATE members SET muted = coalesce(?, muted), pinned = coalesce(?, pinned),
         remark = coalesce(?, remark), label = coalesce(?, label),
         archived = coalesce(?, archived), marked_unread = coalesce(?, marked_unread) WHERE conversation_id = ? AND user_id = ?`,
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

  /** The whole database is locked by the write transaction already. */
  lock(id: string): ConversationRecord | null {
    return this.get(id);
  }

  insert(c: Omit<ConversationRecord, "lastSeq">, members: readonly NewMember[]): void {
    this.s.insert.run(c.id, c.type, c.itemId, c.title, c.uniqueKey, c.at);
    for (const m of members) this.s.addMember.run(c.id, m.userId, m.role, m.state, m.addedBy, c.at);
  }

  join(conversationId: string, m: NewMember, readSeq: number, at: number): void {
    this.s.join.run(conversationId, m.userId, m.role, m.state, m.addedBy, readSeq, readSeq, at);
  }

  setState(conversationId: string, userId: string, state: Membership): void {
    this.s.setState.run(state, conversationId, userId);
  }

  setRole(conversationId: string, userId: string, role: MemberRole): void {
    this.s.setRole.run(role, conversationId, userId);
  }

  setTitle(conversationId: string, title: string): void {
    this.s.setTitle.run(title, conversationId);
  }

  heardFrom(a: string, b: string): boolean {
    return this.s.heardFrom.get(b, a) !== undefined;
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

  formerPosters(conversationId: string): string[] {
    return this.s.formerPosters.all(conversationId).map((row) => row.user_id);
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

  posted(conversationId: string, userId: string, seq: number): void {
    this.s.posted.run(seq, seq, conversationId, userId);
  }

  advanceDelivered(conversationId: string, userId: string, seq: number): void {
    this.s.setDelivered.run(seq, conversationId, userId);
  }

  updateSettings(conversationId: string, userId: string, p: SettingsPatch): void {
    const flag = (b: boolean | undefined) => (b === undefined ? null : b ? 1 : 0);
    this.s.settings.run(
      flag(p.muted),
      flag(p.pinned),
      p.remark ?? null,
      p.label ?? null,
      flag(p.archived),
      flag(p.markedUnread),
      conversationId,
      userId,
    );
  }
}
