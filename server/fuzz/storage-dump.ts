import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { DB_FILE } from "../storage/sqlite/open.js";
import type { TestServer } from "../testing/harness.js";

/**
 * Everything a test server has stored, every row of every table, read beside
 * the server (its own SQLite file through a second connection, or its
 * PostgreSQL schema through a client of our own), so that "a refused request
 * changed nothing" is checked on what is really stored, not on what the API
 * chooses to show.
 */
export interface StorageDump {
  /** Table name → its rows as JSON text, sorted. */
  read(): Promise<Record<string, string[]>>;
  close(): Promise<void>;
}

export async function openDump(server: TestServer): Promise<StorageDump> {
  return server.config.databaseUrl ? openPostgresDump(server.config.databaseUrl) : openSqliteDump(path.join(server.dir, DB_FILE));
}

/**
 * Columns a refused request may still move, left out of the comparison: a
 * user's last seen is written whenever their last connection closes (issue
 * 14, presence), and the fuzzer cuts and refuses connections on purpose.
 */
const VOLATILE: Record<string, readonly string[]> = { users: ["last_seen_at"] };
/**
 * Tables each process writes on its own timer (issue 15): its metrics
 * snapshot every METRICS_PUBLISH_MS, the trace rows of earlier requests once
 * per TRACE_FLUSH_MS. They move between any two reads, so they are left out.
 */
const BACKGROUND = new Set(["node_metrics", "trace_events"]);
/**
 * SQLite's search index and its queue (`message_search*`, migration 14): new
 * messages' rows move from the queue into the index on the indexer's timer.
 * They are derived from `messages.search_text`, which is compared.
 */
const background = (table: string) => BACKGROUND.has(table) || table.startsWith("message_search");
const sorted = (table: string, rows: unknown[]) =>
  background(table) ? [] : rows
    .map((r) => {
      const row = { ...(r as Record<string, unknown>) };
      for (const column of VOLATILE[table] ?? []) delete row[column];
      return JSON.stringify(row, bytesAsHex);
    })
    .sort();
const bytesAsHex = (_key: string, value: unknown) =>
  value && typeof value === "object" && (value as { type?: string }).type === "Buffer" ? Buffer.from((value as { data: number[] }).data).toString("hex") : value;

function openSqliteDump(file: string): StorageDump {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  return {
    async read() {
      // Listed on every read: a migration another engineer adds is covered too.
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
      return Object.fromEntries(tables.map((t) => [t, sorted(t, db.prepare(`SELECT * FROM "${t}"`).all())]));
    },
    async close() {
      db.close();
    },
  };
}

async function openPostgresDump(url: string): Promise<StorageDump> {
  // The server's URL names its schema (search_path): current_schema() is that schema.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    async read() {
      const tables = (
        await client.query<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        )
      ).rows.map((r) => r.name);
      // One round trip for the whole schema: each table's rows as a JSON array.
      const columns = tables.map((t, i) => `(SELECT coalesce(json_agg(row_to_json(x)), '[]'::json) FROM "${t}" x) AS t${i}`);
      const [row] = (await client.query<Record<string, unknown[]>>(`SELECT ${columns.join(", ")}`)).rows;
      return Object.fromEntries(tables.map((t, i) => [t, sorted(t, row![`t${i}`]!)]));
    },
    async close() {
      await client.end();
    },
  };
}

/** The tables whose rows differ, with a few of the rows that came or went. */
export function changes(before: Record<string, string[]>, after: Record<string, string[]>): string[] {
  const out: string[] = [];
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = new Set(before[table] ?? []);
    const is = new Set(after[table] ?? []);
    const gone = [...was].filter((r) => !is.has(r));
    const came = [...is].filter((r) => !was.has(r));
    if (gone.length + came.length === 0) continue;
    out.push(`${table}: -${gone.slice(0, 2).join(" ")} +${came.slice(0, 2).join(" ")}`.slice(0, 600));
  }
  return out;
}
