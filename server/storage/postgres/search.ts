import type { Message } from "../../../shared/protocol/index.js";
import { activeMember } from "../membership-sql.js";
import { type MessageRow, toMessage } from "../rows.js";
import { type ConversationScan, mergeScans, seqBound } from "../search-text.js";
import type { ScanPage, SearchCursor, SearchRepo } from "../tx.js";
import { MESSAGE_COLUMNS } from "./chat.js";
import type { Db } from "./db.js";

/** Neither recalled nor deleted by the searcher (`$n`) for themselves; system lines have no search text. */
const shown = (n: number) => `NOT m.recalled AND NOT EXISTS (SELECT 1 FROM message_hides h WHERE h.user_id = $${n} AND h.message_id = m.id)`;

/** A LIKE pattern matching `needle` anywhere, its `%`, `_` and `\` taken literally. */
const containing = (needle: string) => `%${needle.replace(/[\\%_]/g, "\\$&")}%`;

/** The end of the order, for a first page. */
const NEWEST: SearchCursor = { at: Number.MAX_SAFE_INTEGER, conversationId: "", seq: 0 };

interface ScanRow extends MessageRow {
  scope_id: string;
  stop_at: number | null;
  stop_seq: number | null;
}

/**
 * Server search on PostgreSQL (docs/messages.md): LIKE over `search_text`
 * through pg_trgm's GIN (`messages_search`) for 3+ characters; newest-first
 * reads through `messages_conversation_at` for scans, every conversation in
 * one statement.
 */
export class PgSearch implements SearchRepo {
  constructor(private readonly db: Db) {}

  async activeConversationIds(userId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ conversation_id: string }>(
      `SELECT conversation_id FROM members WHERE user_id = $1 AND ${activeMember()}`,
      [userId],
    );
    return rows.map((r) => r.conversation_id);
  }

  async find(userId: string, needle: string, conversationIds: readonly string[], before: SearchCursor | null, limit: number): Promise<Message[]> {
    const b = before ?? NEWEST;
    const { rows } = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       WHERE m.search_text LIKE $2 ESCAPE '\\' AND m.conversation_id = ANY($3::text[]) AND ${shown(1)}
         AND (m.at, m.conversation_id, m.seq) < ($4, $5, $6)
       ORDER BY m.at DESC, m.conversation_id DESC, m.seq DESC LIMIT $7`,
      [userId, containing(needle), conversationIds, b.at, b.conversationId, b.seq, limit],
    );
    return rows.map(toMessage);
  }

  async scan(userId: string, needle: string, conversationIds: readonly string[], before: SearchCursor | null, limit: number, window: number): Promise<ScanPage> {
    const at = (before ?? NEWEST).at;
    const { rows } = await this.db.query<ScanRow>(
      // Per conversation: where reading `window` rows below the bound stops (none: fewer rows), then the matches in that range.
      `WITH scope AS (
         SELECT c.id, c.bound, stop.at AS stop_at, stop.seq AS stop_seq
         FROM unnest($2::text[], $3::bigint[]) AS c(id, bound)
         LEFT JOIN LATERAL (
           SELECT x.at, x.seq FROM messages x WHERE x.conversation_id = c.id AND (x.at, x.seq) < ($4, c.bound)
           ORDER BY x.at DESC, x.seq DESC OFFSET $5 LIMIT 1
         ) stop ON true
       )
       SELECT scope.id AS scope_id, scope.stop_at, scope.stop_seq, found.*
       FROM scope LEFT JOIN LATERAL (
         SELECT ${MESSAGE_COLUMNS} FROM messages m
         WHERE m.conversation_id = scope.id AND (m.at, m.seq) < ($4, scope.bound)
           AND (m.at, m.seq) >= (coalesce(scope.stop_at, -1), coalesce(scope.stop_seq, 0))
           AND strpos(m.search_text, $6) > 0 AND ${shown(1)}
         ORDER BY m.at DESC, m.seq DESC LIMIT $7
       ) found ON true`,
      [userId, conversationIds, conversationIds.map((id) => seqBound(id, before).seq), at, window - 1, needle, limit],
    );
    const scans = new Map<string, ConversationScan>();
    for (const row of rows) {
      let s = scans.get(row.scope_id);
      if (!s) {
        const horizon = row.stop_at === null ? null : { at: row.stop_at, conversationId: row.scope_id, seq: row.stop_seq! };
        scans.set(row.scope_id, (s = { matches: [], horizon }));
      }
      if (row.id !== null) s.matches.push(toMessage(row));
    }
    return mergeScans([...scans.values()], limit);
  }
}
