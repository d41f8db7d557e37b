import { type MemberRow, toMember } from "../rows.js";
import type { MemberRecord } from "../tx.js";
import { currentMember } from "../membership-sql.js";
import { type Db, prepared } from "./db.js";

export const MEMBER_COLUMNS = `conversation_id, user_id, read_seq, delivered_seq, muted, pinned, remark, label, archived, marked_unread, role, state, added_by`;

/**
 * The current members of direct or item chat $1 (two rows at most; none for
 * a group, whose list may be long and is not read before the send's own),
 * each with whom among the chat's members it blocks.
 */
const PAIR = prepared(
  `SELECT ${MEMBER_COLUMNS},
     ARRAY(SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = m.user_id
           AND b.blocked_id IN (SELECT o.user_id FROM members o WHERE o.conversation_id = $1)) AS blocks
   FROM members m WHERE conversation_id = $1 AND ${currentMember("m")}
     AND EXISTS (SELECT 1 FROM conversations WHERE id = $1 AND type <> 'group')
   ORDER BY at, user_id`,
);

interface PairMember {
  member: MemberRecord;
  blocks: string[];
}

/**
 * What a write that locks a direct or item chat reads next, read ahead
 * (issue 16): the member check, the send's block check and its member list.
 * `PgConversations.lock` sends `PAIR` right behind its own statement
 * (pipelined, no round trip of its own); `member`, `members` and
 * `PgSafety.eitherWay` answer from it while no other statement was sent
 * since in this transaction (`Db.sent`): nothing of this transaction came
 * between, so the answer is what the same statement sent a moment earlier
 * saw (READ COMMITTED: each statement sees what was committed when it
 * starts). Who is a member of a direct or item chat does not change after
 * it is made; a member's own positions and settings, and a block, may be a
 * moment older than a statement sent now would see, as they may be by the
 * time any answer arrives. One per transaction, shared by its repositories.
 */
export class PairReadAhead {
  private ahead: { conversationId: string; sent: number; pair: Promise<PairMember[] | null> } | null = null;

  constructor(private readonly db: Db) {}

  /** Sends the read; `lock` calls it right after its own statement. */
  start(conversationId: string): void {
    const pair = this.db.query<MemberRow & { blocks: string[] }>(PAIR, [conversationId]).then(({ rows }) =>
      rows.length > 0 ? rows.map((row) => ({ member: toMember(row), blocks: row.blocks })) : null,
    );
    // Its failure is the transaction's, reported by the lock (sent first) and whichever statement comes next.
    pair.catch(() => undefined);
    this.ahead = { conversationId, sent: this.db.sent, pair };
  }

  /** The members read ahead, if still what a statement sent now would answer (null: ask); copies. */
  members(conversationId: string): Promise<MemberRecord[] | null> | null {
    const pair = this.current(conversationId);
    return pair && pair.then((list) => list && list.map((m) => ({ ...m.member })));
  }

  /**
   * Whether either of `a` and `b` blocks the other, from the read ahead of
   * any chat of theirs still current (both among its members); null: ask.
   */
  async eitherWay(a: string, b: string): Promise<boolean | null> {
    const pair = this.ahead && this.current(this.ahead.conversationId);
    const list = pair && (await pair);
    const ma = list?.find((m) => m.member.userId === a);
    const mb = list?.find((m) => m.member.userId === b);
    if (!ma || !mb) return null;
    return ma.blocks.includes(b) || mb.blocks.includes(a);
  }

  private current(conversationId: string): Promise<PairMember[] | null> | null {
    const ahead = this.ahead;
    if (!ahead || ahead.conversationId !== conversationId || ahead.sent !== this.db.sent) return null;
    return ahead.pair;
  }
}
