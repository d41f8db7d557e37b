import type { Report } from "../../../shared/protocol/index.js";
import { REPORT_COLUMNS, reportValues, toReport, type ReportRow } from "../safety-rows.js";
import type { BlockPair } from "../push-types.js";
import type { ReportCursor, SafetyRepo } from "../tx.js";
import { type Db, prepared } from "./db.js";
import type { PairReadAhead } from "./read-ahead.js";

/** Blocks and reports (server/safety/). */
export class PgSafety implements SafetyRepo {
  constructor(
    private readonly db: Db,
    /** A send's block check answers from what locking its chat read ahead (read-ahead.ts). */
    private readonly ahead: PairReadAhead,
  ) {}

  async block(blockerId: string, blockedId: string, at: number): Promise<boolean> {
    const { rowCount } = await this.db.query(`INSERT INTO blocks (blocker_id, blocked_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      blockerId,
      blockedId,
      at,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2`, [blockerId, blockedId]);
    return (rowCount ?? 0) > 0;
  }

  async blockedBy(blockerId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ blocked_id: string }>(`SELECT blocked_id FROM blocks WHERE blocker_id = $1 ORDER BY at, blocked_id`, [blockerId]);
    return rows.map((r) => r.blocked_id);
  }

  async blocks(blockerId: string, blockedId: string): Promise<boolean> {
    const { rows } = await this.db.query(prepared(`SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2`), [blockerId, blockedId]);
    return rows.length > 0;
  }

  async blockedAmong(pairs: readonly BlockPair[]): Promise<BlockPair[]> {
    if (pairs.length === 0) return [];
    const { rows } = await this.db.query<{ blocker_id: string; blocked_id: string }>(
      prepared(`SELECT b.blocker_id, b.blocked_id
       FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS u(blocker_id, blocked_id)) p
       JOIN blocks b ON b.blocker_id = p.blocker_id AND b.blocked_id = p.blocked_id`),
      [pairs.map((p) => p.blockerId), pairs.map((p) => p.blockedId)],
    );
    return rows.map((r) => ({ blockerId: r.blocker_id, blockedId: r.blocked_id }));
  }

  async eitherWay(a: string, b: string): Promise<boolean> {
    const known = await this.ahead.eitherWay(a, b);
    if (known !== null) return known;
    const { rows } = await this.db.query(
      prepared(`SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1) LIMIT 1`),
      [a, b],
    );
    return rows.length > 0;
  }

  async insertReport(report: Report): Promise<void> {
    await this.db.query(`INSERT INTO reports (${REPORT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, reportValues(report));
  }

  async reports(before: ReportCursor | null, limit: number): Promise<Report[]> {
    const { rows } = before
      ? await this.db.query<ReportRow>(
          `SELECT ${REPORT_COLUMNS} FROM reports WHERE (at, id) < ($1, $2) ORDER BY at DESC, id DESC LIMIT $3`,
          [before.at, before.id, limit],
        )
      : await this.db.query<ReportRow>(`SELECT ${REPORT_COLUMNS} FROM reports ORDER BY at DESC, id DESC LIMIT $1`, [limit]);
    return rows.map(toReport);
  }
}
