import type Database from "better-sqlite3";
import type { Report } from "../../../shared/protocol/index.js";
import { REPORT_COLUMNS, reportValues, toReport, type ReportRow } from "../safety-rows.js";
import type { BlockPair } from "../push-types.js";
import type { ReportCursor, SafetyRepo } from "../tx.js";

/** Blocks and reports (server/safety/). */
export class SafetyStore implements SafetyRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      block: db.prepare(`INSERT INTO blocks (blocker_id, blocked_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
      unblock: db.prepare(`DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?`),
      blockedBy: db.prepare<[string], { blocked_id: string }>(`SELECT blocked_id FROM blocks WHERE blocker_id = ? ORDER BY at, blocked_id`),
      blocks: db.prepare<[string, string], { n: number }>(`SELECT 1 AS n FROM blocks WHERE blocker_id = ? AND blocked_id = ?`),
      eitherWay: db.prepare<[string, string, string, string], { n: number }>(
        `SELECT 1 AS n FROM blocks WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?) LIMIT 1`,
      ),
      insertReport: db.prepare(`INSERT INTO reports (${REPORT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      newest: db.prepare<[number], ReportRow>(`SELECT ${REPORT_COLUMNS} FROM reports ORDER BY at DESC, id DESC LIMIT +?`),
      older: db.prepare<[number, number, string, number], ReportRow>(
        `SELECT ${REPORT_COLUMNS} FROM reports WHERE at < ? OR (at = ? AND id < ?) ORDER BY at DESC, id DESC LIMIT +?`,
      ),
    };
  }

  block(blockerId: string, blockedId: string, at: number): boolean {
    return this.s.block.run(blockerId, blockedId, at).changes > 0;
  }

  unblock(blockerId: string, blockedId: string): boolean {
    return this.s.unblock.run(blockerId, blockedId).changes > 0;
  }

  blockedBy(blockerId: string): string[] {
    return this.s.blockedBy.all(blockerId).map((r) => r.blocked_id);
  }

  blocks(blockerId: string, blockedId: string): boolean {
    return this.s.blocks.get(blockerId, blockedId) !== undefined;
  }

  /** `blocks` once per distinct pair, in the caller's one read (in process: cheaper than one statement over a JSON array). */
  blockedAmong(pairs: readonly BlockPair[]): BlockPair[] {
    const seen = new Set<string>();
    return pairs.filter((p) => {
      const key = `${p.blockerId}\u0000${p.blockedId}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return this.blocks(p.blockerId, p.blockedId);
    });
  }

  eitherWay(a: string, b: string): boolean {
    return this.s.eitherWay.get(a, b, b, a) !== undefined;
  }

  insertReport(report: Report): void {
    this.s.insertReport.run(...reportValues(report));
  }

  reports(before: ReportCursor | null, limit: number): Report[] {
    const rows = before ? this.s.older.all(before.at, before.at, before.id, limit) : this.s.newest.all(limit);
    return rows.map(toReport);
  }
}
