import {
  type NodeMetricsDbRow,
  type NodeMetricsRecord,
  type NodeMetricsRepo,
  TRACE_COLUMNS,
  type TraceDbRow,
  type TraceRepo,
  type TraceRow,
  toNodeMetrics,
  toTraceRow,
} from "../trace-types.js";
import type { Db } from "./db.js";

/** The message trace (server/observability/trace.ts): a batch is one INSERT over arrays, whatever its size. */
export class PgTrace implements TraceRepo {
  constructor(private readonly db: Db) {}

  async insert(rows: readonly TraceRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO trace_events (${TRACE_COLUMNS})
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
      [
        rows.map((r) => r.conversationId),
        rows.map((r) => r.seqLo),
        rows.map((r) => r.seqHi),
        rows.map((r) => r.at),
        rows.map((r) => r.event),
        rows.map((r) => r.userId),
        rows.map((r) => r.deviceId),
        rows.map((r) => r.transport),
        rows.map((r) => r.node),
      ],
    );
  }

  /** Every process prunes: rows another one is deleting right now are skipped, not waited for (nor deadlocked on). */
  async prune(before: number, max: number): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM trace_events WHERE id IN (SELECT id FROM trace_events WHERE at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, [
      before,
      max,
    ]);
    return rowCount ?? 0;
  }

  async forMessage(conversationId: string, seq: number): Promise<TraceRow[]> {
    const { rows } = await this.db.query<TraceDbRow>(
      `SELECT ${TRACE_COLUMNS} FROM trace_events WHERE conversation_id = $1 AND seq_hi >= $2 AND seq_lo <= $2`,
      [conversationId, seq],
    );
    return rows.map(toTraceRow);
  }
}

/** Each process's latest metrics snapshot (the dashboard, across processes). */
export class PgNodeMetrics implements NodeMetricsRepo {
  constructor(private readonly db: Db) {}

  async put(node: string, at: number, startedAt: number, data: string): Promise<void> {
    await this.db.query(
      `INSERT INTO node_metrics (node, at, started_at, data) VALUES ($1, $2, $3, $4)
       ON CONFLICT (node) DO UPDATE SET at = excluded.at, started_at = excluded.started_at, data = excluded.data`,
      [node, at, startedAt, data],
    );
  }

  async since(at: number): Promise<NodeMetricsRecord[]> {
    const { rows } = await this.db.query<NodeMetricsDbRow>(`SELECT node, at, started_at, data FROM node_metrics WHERE at >= $1 ORDER BY node`, [at]);
    return rows.map(toNodeMetrics);
  }

  async prune(before: number): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM node_metrics WHERE at < $1`, [before]);
    return rowCount ?? 0;
  }
}
