import type { MemberRole, Membership, Message, SettingsPatch } from "../../../shared/protocol/index.js";
import { type ConversationRow, locationColumns, type MemberRow, offerColumns, type MessageRow, toConversationRecord, toMember, toMessage } from "../rows.js";
import type { ConversationRecord, ConversationRepo, MemberRecord, MessageRepo, NewMember } from "../tx.js";
import { activeMember, currentMember, hiddenOfOthersAfter, notHiddenBy } from "../membership-sql.js";
import { searchTextOf } from "../search-text.js";
import { type Db, first, prepared } from "./db.js";
import { MEMBER_COLUMNS, type PairReadAhead } from "./read-ahead.js";

const CONVERSATION_COLUMNS = `id, type, item_id, title, unique_key, last_seq, at`;
export const MESSAGE_COLUMNS = `id, conversation_id, seq, sender_id, client_msg_id, kind, body, at, recalled, reply_to_id, reply_to_seq, media, location_lat, location_lng, location_label, offer_id, offer_price_cents, offer_by`;

/** `members`' statement: the current members of conversation $1, in their order. */
const MEMBERS = prepared(`SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND ${currentMember()} ORDER BY at, user_id`);
const NEXT_SEQ = prepared(`UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq`);

export class PgConversations implements ConversationRepo {
  /**
   * The last seq of each conversation this write holds locked (`lock`):
   * nobody else moves it until this transaction ends, so `nextSeq` knows
   * its answer without asking (issue 16, PGTRIPS). `sent`: the statements
   * sent when it became known; a lock's answer older than a queued seq is
   * not taken.
   */
  private readonly lastSeqs = new Map<string, { seq: number; sent: number }>();

  constructor(
    private readonly db: Db,
    /** What `lock` reads ahead of a direct or item chat (read-ahead.ts). */
    private readonly ahead: PairReadAhead,
  ) {}

  get(id: string, lock = ""): Promise<ConversationRecord | null> {
    return first(this.db, prepared(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = $1${lock}`), [id], toConversationRecord);
  }

  /**
   * As strong as `nextSeq`'s UPDATE and no stronger: lockers of one
   * conversation take turns, while rows inserted beside it (messages,
   * members, orders: their foreign-key checks) don't wait on it.
   */
  lock(id: string): Promise<ConversationRecord | null> {
    const sent = this.db.sent;
    const locked = this.get(id, this.db.forUpdate && " FOR NO KEY UPDATE");
    if (!this.db.forUpdate) return locked;
    this.ahead.start(id);
    return locked.then((conv) => {
      // Its answer counts every statement sent before it (answers come in order), none after.
      if (conv && (this.lastSeqs.get(id)?.sent ?? -1) <= sent) this.lastSeqs.set(id, { seq: conv.lastSeq, sent });
      return conv;
    });
  }

  async byKey(uniqueKey: string): Promise<ConversationRecord | null> {
    const { rows } = await this.db.query<ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE unique_key = $1`, [
      uniqueKey,
    ]);
    return rows[0] ? toConversationRecord(rows[0]) : null;
  }

  async ofItem(itemId: string): Promise<ConversationRecord[]> {
    const { rows } = await this.db.query<ConversationRow>(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE item_id = $1 AND type = 'item'`,
      [itemId],
    );
    return rows.map(toConversationRecord);
  }

  /** The conversation and its members in one statement; a taken unique key fails (23505) and the engine retries. */
  async insert(c: Omit<ConversationRecord, "lastSeq">, members: readonly NewMember[]): Promise<void> {
    // The first of a member listed twice wins, as in SQLite's INSERT OR IGNORE (one statement can't touch a row twice).
    const unique = [...new Map(members.toReversed().map((m) => [m.userId, m])).values()];
    await this.db.query(
      `WITH c AS (
         INSERT INTO conversations (id, type, item_id, title, unique_key, last_seq, at)
         VALUES ($1, $2, $3, $4, $5, 0, $6) RETURNING id
       )
       INSERT INTO members (conversation_id, user_id, role, state, added_by, at)
       SELECT c.id, m.user_id, m.role, m.state, m.added_by, $6
       FROM c, unnest($7::text[], $8::text[], $9::text[], $10::text[]) AS m(user_id, role, state, added_by)`,
      [
        c.id,
        c.type,
        c.itemId,
        c.title,
        c.uniqueKey,
        c.at,
        unique.map((m) => m.userId),
        unique.map((m) => m.role),
        unique.map((m) => m.state),
        unique.map((m) => m.addedBy),
      ],
    );
  }

  async join(conversationId: string, m: NewMember, readSeq: number, at: number): Promise<void> {
    await this.db.query(
      `INSERT INTO members (conversation_id, user_id, role, state, added_by, read_seq, delivered_seq, at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET role = excluded.role, state = excluded.state,
         added_by = excluded.added_by, read_seq = excluded.read_seq, delivered_seq = excluded.delivered_seq, at = excluded.at`,
      [conversationId, m.userId, m.role, m.state, m.addedBy, readSeq, at],
    );
  }

  async setState(conversationId: string, userId: string, state: Membership): Promise<void> {
    await this.db.query(`UPDATE members SET state = $3 WHERE conversation_id = $1 AND user_id = $2`, [conversationId, userId, state]);
  }

  async setRole(conversationId: string, userId: string, role: MemberRole): Promise<void> {
    await this.db.query(`UPDATE members SET role = $3 WHERE conversation_id = $1 AND user_id = $2`, [conversationId, userId, role]);
  }

  async setTitle(conversationId: string, title: string): Promise<void> {
    await this.db.query(`UPDATE conversations SET title = $2 WHERE id = $1`, [conversationId, title]);
  }

  async heardFrom(a: string, b: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `SELECT 1 FROM members ma JOIN members mb ON mb.conversation_id = ma.conversation_id AND mb.user_id = $2
       WHERE ma.user_id = $1 AND ${activeMember("ma")} AND ${activeMember("mb")} AND mb.posted LIMIT 1`,
      [a, b],
    );
    return rows.length > 0;
  }

  async member(conversationId: string, userId: string, lock = ""): Promise<MemberRecord | null> {
    const ahead = lock ? null : this.ahead.members(conversationId);
    const known = ahead && (await ahead)?.find((m) => m.userId === userId);
    if (known) return known;
    const sql = prepared(`SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND user_id = $2${lock}`);
    return first(this.db, sql, [conversationId, userId], toMember);
  }

  lockMember(conversationId: string, userId: string): Promise<MemberRecord | null> {
    return this.member(conversationId, userId, this.db.forUpdate);
  }

  async members(conversationId: string): Promise<MemberRecord[]> {
    const ahead = this.ahead.members(conversationId);
    const known = ahead && (await ahead);
    if (known) return known;
    const { rows } = await this.db.query<MemberRow>(MEMBERS, [conversationId]);
    return rows.map(toMember);
  }

  async formerPosters(conversationId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ user_id: string }>(
      `SELECT user_id FROM members WHERE conversation_id = $1 AND NOT (${currentMember()}) AND posted ORDER BY at, user_id`,
      [conversationId],
    );
    return rows.map((row) => row.user_id);
  }

  async ofUser(userId: string): Promise<ConversationRecord[]> {
    const { rows } = await this.db.query<ConversationRow>(
      `SELECT c.id, c.type, c.item_id, c.title, c.unique_key, c.last_seq, c.at
       FROM conversations c JOIN members m ON m.conversation_id = c.id WHERE m.user_id = $1 AND ${currentMember("m")}`,
      [userId],
    );
    return rows.map(toConversationRecord);
  }

  /**
   * The row lock taken here queues concurrent sends to one conversation
   * until this transaction ends. Under `lock`'s own (this write's) the
   * answer is known: the UPDATE is queued, not waited for, and checked.
   */
  async nextSeq(conversationId: string): Promise<number> {
    const last = this.lastSeqs.get(conversationId);
    if (last !== undefined) {
      const seq = last.seq + 1;
      this.db.queue<{ last_seq: number }>(NEXT_SEQ, [conversationId], ({ rows }) => {
        if (rows[0]?.last_seq !== seq) throw new Error(`Conversation ${conversationId} moved to seq ${rows[0]?.last_seq} under this write's lock; expected ${seq}.`);
      });
      this.lastSeqs.set(conversationId, { seq, sent: this.db.sent });
      return seq;
    }
    const { rows } = await this.db.query<{ last_seq: number }>(NEXT_SEQ, [conversationId]);
    const row = rows[0];
    if (!row) throw new Error(`Conversation ${conversationId} is not stored.`);
    return row.last_seq;
  }

  async advanceRead(conversationId: string, userId: string, seq: number): Promise<void> {
    await this.db.query(
      `UPDATE members SET read_seq = GREATEST(read_seq, $3), delivered_seq = GREATEST(delivered_seq, $3)
       WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId, seq],
    );
  }

  /** Queued (issue 16, PGTRIPS): nothing in a send waits for it; its failure is the transaction's. */
  async posted(conversationId: string, userId: string, seq: number): Promise<void> {
    this.db.queue(
      prepared(`UPDATE members SET read_seq = GREATEST(read_seq, $3), delivered_seq = GREATEST(delivered_seq, $3), posted = true
       WHERE conversation_id = $1 AND user_id = $2`),
      [conversationId, userId, seq],
    );
  }

  async advanceDelivered(conversationId: string, userId: string, seq: number): Promise<void> {
    await this.db.query(prepared(`UPDATE members SET delivered_seq = GREATEST(delivered_seq, $3) WHERE conversation_id = $1 AND user_id = $2`), [
      conversationId,
      userId,
      seq,
    ]);
  }

  async updateSettings(conversationId: string, userId: string, p: SettingsPatch): Promise<void> {
    await this.db.query(
      `UPDATE members SET muted = coalesce($3, muted), pinned = coalesce($4, pinned),
         remark = coalesce($5, remark), label = coalesce($6, label),
         archived = coalesce($7, archived), marked_unread = coalesce($8, marked_unread)
       WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId, p.muted ?? null, p.pinned ?? null, p.remark ?? null, p.label ?? null, p.archived ?? null, p.markedUnread ?? null],
    );
  }
}

export class PgMessages implements MessageRepo {
  constructor(private readonly db: Db) {}

  /**
   * Unique on (conversation, seq) and (sender, clientMsgId): a concurrent
   * duplicate fails (23505) and the rule runs again. Queued (issue 16,
   * PGTRIPS): its failure is reported by the next statement or COMMIT.
   */
  async insert(m: Message): Promise<void> {
    this.db.queue(
      prepared(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at, reply_to_id, reply_to_seq, search_text,
         location_lat, location_lng, location_label, offer_id, offer_price_cents, offer_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`),
      [m.id, m.conversationId, m.seq, m.senderId, m.clientMsgId, m.kind, m.body, m.at, m.replyTo?.id ?? null, m.replyTo?.seq ?? null, searchTextOf(m), ...locationColumns(m), ...offerColumns(m)],
    );
  }

  get(id: string): Promise<Message | null> {
    return first(this.db, `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1`, [id], toMessage);
  }

  async byClientId(senderId: string, clientMsgId: string): Promise<Message | null> {
    const { rows } = await this.db.query<MessageRow>(prepared(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = $1 AND client_msg_id = $2`), [
      senderId,
      clientMsgId,
    ]);
    return rows[0] ? toMessage(rows[0]) : null;
  }

  async bySeq(conversationId: string, seq: number): Promise<Message | null> {
    const { rows } = await this.db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq = $2`, [
      conversationId,
      seq,
    ]);
    return rows[0] ? toMessage(rows[0]) : null;
  }

  async page(conversationId: string, before: number | null, limit: number, viewerId: string | null): Promise<Message[]> {
    const { rows } = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM (
         SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE conversation_id = $1 AND seq < $2 AND ${notHiddenBy("$4")} ORDER BY seq DESC LIMIT $3
       ) AS newest ORDER BY seq`,
      [conversationId, before ?? Number.MAX_SAFE_INTEGER, limit, viewerId ?? ""],
    );
    return rows.map(toMessage);
  }

  /** Walks the (conversation_id, seq) unique index over the range only. */
  async sendersBetween(conversationId: string, after: number, upTo: number, excludeId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ sender_id: string }>(
      prepared(`SELECT DISTINCT m.sender_id FROM messages m
       JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = m.sender_id AND ${currentMember("mb")}
       WHERE m.conversation_id = $1 AND m.seq > $2 AND m.seq <= $3 AND m.sender_id <> $4`),
      [conversationId, after, upTo, excludeId],
    );
    return rows.map((r) => r.sender_id);
  }

  async unread(conversationId: string, readSeq: number, userId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      // The range's count, less the viewer's hides in it (few): not a hides lookup per unread row.
      `SELECT (SELECT count(*) FROM messages WHERE conversation_id = $1 AND seq > $2 AND sender_id <> $3) - ${hiddenOfOthersAfter(["$3", "$1", "$2", "$3"])} AS n`,
      [conversationId, readSeq, userId],
    );
    return rows[0]?.n ?? 0;
  }

  async recall(id: string, at: number): Promise<void> {
    // The content and its search text go in one statement (search never finds a recalled message: its
    // search_text is ''); migration 7's message_search_cleared trigger stays as a guard for other rewrites.
    await this.db.query(`UPDATE messages SET body = '', search_text = '', recalled = true, recalled_at = $2,
         location_lat = NULL, location_lng = NULL, location_label = NULL WHERE id = $1`, [id, at]);
  }

  async hide(userId: string, m: Message, at: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO message_hides (user_id, message_id, conversation_id, seq, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [userId, m.id, m.conversationId, m.seq, at],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Each member row (gone ones too) probes the hides' primary key. */
  async hiders(m: Message): Promise<string[]> {
    const { rows } = await this.db.query<{ user_id: string }>(
      `SELECT h.user_id FROM members mb JOIN message_hides h ON h.user_id = mb.user_id AND h.message_id = $1 WHERE mb.conversation_id = $2`,
      [m.id, m.conversationId],
    );
    return rows.map((r) => r.user_id);
  }
}
