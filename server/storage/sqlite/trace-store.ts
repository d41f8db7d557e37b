import type Database from "better-sqlite3";
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
  traceValues,
} from "../trace-types.js";

/** Rows per INSERT statement (9 parameters each, far below SQLite's 32,766). */
const CHUNK = 100;

/** The message trace (server/observability/trace.ts). */
export class TraceStore implements TraceRepo {
  private readonly s;
  /** Multi-row INSERTs by row count, prepared when first needed (at most CHUNK of them). */
  private readonly inserts = new Map<number, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.s = {
      prune: db.prepare(`DELETE FROM trace_events WHERE id IN (SELECT id FROM trace_events WHERE at < ? LIMIT +?)`),
      forMessage: db.prepare<[string, number, number], TraceDbRow>(
        `SELECT ${TRACE_COLUMNS} FROM trace_events WHERE conversation_id = ? AND seq_hi >= ? AND seq_lo <= ?`,
      ),
    };
  }

  private insertOf(n: number): Database.Statement {
    let statement = this.inserts.get(n);
    if (!statement) {
      const row = `(${Array(9).fill("?").join(", ")})`;
      statement = this.db.prepare(`INSERT INTO trace_events (${TRACE_COLUMNS}) VALUES ${Array(n).fill(row).join(", ")}`);
      this.inserts.set(n, statement);
    }
    return statement;
  }

  insert(rows: readonly TraceRow[]): void {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      this.insertOf(chunk.length).run(...chunk.flatMap(traceValues));
    }
  }

  prune(before: number, max: number): number {
    return this.s.prune.run(before, max).changes;
  }

  forMessage(conversationId: string, seq: number): TraceRow[] {
    return this.s.forMessage.all(conversationId, seq, seq).map(toTraceRow);
  }
}

/** Each process's latest metrics snapshot (the dashboard, across processes). */
export class NodeMetricsStore implements NodeMetricsRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      put: db.prepare(
        `INSERT INTO node_metrics (node, at, started_at, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (node) DO UPDATE SET at = excluded.at, started_at = excluded.started_at, data = excluded.data`,
      ),
      since: db.prepare<[number], NodeMetricsDbRow>(`SELECT node, at, started_at, data FROM node_metrics WHERE at >= ? ORDER BY node`),
      prune: db.prepare(`DELETE FROM node_metrics WHERE at < ?`),
    };
  }

  put(node: string, at: number, startedAt: number, data: string): void {
    this.s.put.run(node, at, startedAt, data);
  }

  since(at: number): NodeMetricsRecord[] {
    return this.s.since.all(at).map(toNodeMetrics);
  }

  prune(before: number): number {
    return this.s.prune.run(before).changes;
  }
}
