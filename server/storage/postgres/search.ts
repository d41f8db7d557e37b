import type { Message } from "../../../shared/protocol/index.js";
import { activeMember, notHiddenBy } from "../membership-sql.js";
import { type MessageRow, toMessage } from "../rows.js";
import { type ConversationScan, mergeScans, seqBound } from "../search-text.js";
import type { ScanPage, SearchCursor, SearchRepo } from "../tx.js";
import { MESSAGE_COLUMNS } from "./chat.js";
import type { Db } from "./db.js";

/**
 * Not deleted by the searcher (`$n`) for themselves. Recalled messages and
 * system lines have search_text '', which no needle (never empty) matches:
 * neither LIKE '%x%' nor strpos('', x) > 0.
 */
const shown = (n: number) => notHiddenBy(`$${n}`);

/** A LIKE pattern matching `needle` anywhere, its `%`, `_` and `\` taken literally. */
const containing = (needle: string) => `%${needle.replace(/[\\%_]/g, "\\$&")}%`;

/** The end of the order, for a first page. */
const NEWEST: SearchCursor = { at: Number.MAX_SAFE_INTEGER, conversationId: "", seq: 0 };

/**
 * Server search on PostgreSQL (docs/messages.md): LIKE over `search_text`
 * through pg_trgm's GIN (`messages_search`) for 3+ characters; newest-first
 * reads through `messages_conversation_at` for scans, every conversation in
 * one statement.
 */
export class PgSearch implements SearchRepo {
  constructor(private readonly db: Db) {}

  async activeConversations(userId: string): Promise<{ id: string; lastSeq: number }[]> {
    const { rows } = await this.db.query<{ id: string; lastSeq: number }>(
      `SELECT c.id, c.last_seq AS "lastSeq" FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = $1 AND ${activeMember("m")}`,
      [userId],
    );
    return rows;
  }

  /**
   * pg_trgm takes trigrams from runs of word characters only (letters and
   * digits by the database's LC_CTYPE: under the C locale ASCII only, so no
   * Chinese; punctuation and emoji never): a needle without three of them in
   * a row gives the index nothing to look up, and LIKE through it would read
   * every row. The regex classes follow the same LC_CTYPE.
   */
  async indexable(needle: string): Promise<boolean> {
    if ([...needle].length < 3) return false;
    const { rows } = await this.db.query<{ ok: boolean }>(`SELECT $1::text ~ '[[:alnum:]]{3}' AS ok`, [needle]);
    return rows[0]?.ok === true;
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

  async scan(
    userId: string,
    needle: string,
    conversationIds: readonly string[],
    before: SearchCursor | null,
    limit: number,
    windows: readonly number[],
  ): Promise<ScanPage> {
    const at = (before ?? NEWEST).at;
    const bounds = conversationIds.map((id) => seqBound(id, before).seq);
    // Per conversation, the matches among its newest `window` rows below the bound, stopping at `limit`.
    const { rows } = await this.db.query<MessageRow & { scope_id: string }>(
      `SELECT c.id AS scope_id, found.* FROM unnest($2::text[], $3::bigint[], $4::int[]) AS c(id, bound, w)
       CROSS JOIN LATERAL (
         SELECT ${MESSAGE_COLUMNS} FROM (
           SELECT * FROM messages WHERE conversation_id = c.id AND (at, seq) < ($5, c.bound) ORDER BY at DESC, seq DESC LIMIT c.w
         ) AS m
         WHERE strpos(m.search_text, $6) > 0 AND ${shown(1)}
         ORDER BY m.at DESC, m.seq DESC LIMIT $7
       ) AS found`,
      [userId, conversationIds, bounds, windows, at, needle, limit],
    );
    const matches = new Map<string, Message[]>(conversationIds.map((id) => [id, []]));
    for (const row of rows) matches.get(row.scope_id)!.push(toMessage(row));
    // Where reading stopped, for those that found fewer than asked (none: fewer rows than their window).
    const short = conversationIds.flatMap((id, i) => (matches.get(id)!.length < limit ? [i] : []));
    const stops = new Map<string, SearchCursor>();
    if (short.length > 0) {
      const found = await this.db.query<{ id: string; at: number; seq: number }>(
        `SELECT c.id, stop.at, stop.seq FROM unnest($1::text[], $2::bigint[], $3::int[]) AS c(id, bound, skip)
         CROSS JOIN LATERAL (
           SELECT at, seq FROM messages WHERE conversation_id = c.id AND (at, seq) < ($4, c.bound) ORDER BY at DESC, seq DESC OFFSET c.skip LIMIT 1
         ) AS stop`,
        [short.map((i) => conversationIds[i]), short.map((i) => bounds[i]), short.map((i) => windows[i]! - 1), at],
      );
      for (const r of found.rows) stops.set(r.id, { at: r.at, conversationId: r.id, seq: r.seq });
    }
    const scans: ConversationScan[] = conversationIds.map((id) => {
      const found = matches.get(id)!;
      return { matches: found, horizon: stops.get(id) ?? null, full: found.length === limit };
    });
    return mergeScans(scans, limit);
  }
}
