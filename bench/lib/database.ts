import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import pg from "pg";
import { startPostgres } from "../../scripts/provision/postgres.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { PostgresEngine } from "../../server/storage/postgres/engine.js";
import { Storage } from "../../server/storage/storage.js";
import type { CpuTarget } from "./proc.js";
import { Seeder } from "./seed.js";
import { freshDataDir } from "./server.js";

export type EngineName = "sqlite" | "postgres";

/** PostgreSQL settings that make a commit as durable as SQLite's `synchronous = FULL` (WAL flushed before the answer). */
export const PG_DURABLE_SETTINGS: Record<string, string> = { fsync: "on", synchronous_commit: "on", full_page_writes: "on" };

/**
 * One suite's database, empty: on SQLite a fresh data directory, on
 * PostgreSQL a fresh schema (and a data directory the server is also given,
 * with nothing of the database in it). Seed it, start servers on it
 * (`BenchServer.start({ dataDir, env })`, any number, one after another or
 * again on the same data), then dispose of it.
 */
export interface BenchStore {
  readonly dataDir: string;
  /** For the server: DATABASE_URL naming the schema on PostgreSQL; explicitly none on SQLite. */
  readonly env: Record<string, string>;
  /** A seeder on this database; `ringCapacity` must match the server's RING_CAPACITY. Close it before starting servers. */
  seeder(ringCapacity?: number): Promise<Seeder>;
  dispose(): Promise<void>;
}

/** What the run's servers store into, chosen with `--engine=`. */
export interface BenchDatabase {
  readonly engine: EngineName;
  /** For the printed header, e.g. "SQLite (better-sqlite3, WAL, group commit, …)". */
  readonly label: string;
  /** For the results JSON. */
  readonly info: Record<string, unknown>;
  fresh(): Promise<BenchStore>;
  /** Processes of the database worth measuring beside the server (PostgreSQL on this machine: its postmaster's tree). */
  cpuTargets(): Record<string, CpuTarget>;
  /** PostgreSQL's cumulative counters for the run's database (pg_stat_database), to take differences over a phase; null on SQLite. */
  counters(): Promise<DbCounters | null>;
  close(): Promise<void>;
}

export interface DbCounters {
  /** Committed transactions, read-only ones included. */
  commits: number;
  inserted: number;
  updated: number;
  deleted: number;
}

export function sqliteDatabase(): BenchDatabase {
  return {
    engine: "sqlite",
    label: "SQLite (better-sqlite3, WAL, group commit, WAL fdatasync on the thread pool: durable like synchronous=FULL)",
    info: { engine: "sqlite", synchronous: "FULL", journalMode: "WAL" },
    async fresh() {
      const dataDir = freshDataDir();
      return {
        dataDir,
        // An inherited DATABASE_URL would put the server on PostgreSQL: empty means the embedded database.
        env: { DATABASE_URL: "" },
        seeder: async (ringCapacity = 2000) => Seeder.open(dataDir, ringCapacity),
        dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
      };
    },
    cpuTargets: () => ({}),
    counters: async () => null,
    close: async () => undefined,
  };
}

export interface PostgresChoice {
  /** A server to use (BENCH_DATABASE_URL, a superuser or a role that may create schemas); else a throwaway one is started. */
  url?: string;
  /** Throwaway server only: fsync, synchronous_commit and full_page_writes on (default: off, as `startPostgres` has them). */
  durable?: boolean;
}

/**
 * PostgreSQL: BENCH_DATABASE_URL's server, or a throwaway PostgreSQL started
 * now (scripts/provision/postgres.ts: a fresh cluster in a temp directory on
 * a free 127.0.0.1 port, stopped and removed by close(), and at process exit
 * whatever happens). Each suite gets a schema of its own, dropped after it.
 */
export async function postgresDatabase(choice: PostgresChoice): Promise<BenchDatabase> {
  let service: RunningService | null = null;
  let adminUrl: string;
  if (choice.url) {
    adminUrl = choice.url;
  } else {
    service = await startPostgres(choice.durable ? { settings: PG_DURABLE_SETTINGS } : {});
    adminUrl = service.url;
  }
  try {
    const server = await admin(adminUrl, async (c) => {
      const show = async (name: string) => (await c.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name] ?? "?";
      const settings: Record<string, string> = {};
      for (const name of ["fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "max_connections"]) settings[name] = await show(name);
      const backend = (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      return { version: await show("server_version"), settings, postmaster: localParent(backend) };
    });
    const host = new URL(adminUrl);
    const durability = server.settings.fsync === "on" && server.settings.synchronous_commit === "on" ? "fsync on, synchronous_commit on" : `fsync ${server.settings.fsync}, synchronous_commit ${server.settings.synchronous_commit}`;
    const label = `PostgreSQL ${server.version} at ${host.hostname}:${host.port} (${service ? "throwaway" : "BENCH_DATABASE_URL"}; ${durability}, full_page_writes ${server.settings.full_page_writes})`;
    const opened = service;
    return {
      engine: "postgres",
      label,
      info: {
        engine: "postgres",
        source: service ? "throwaway (scripts/provision/postgres.ts)" : "BENCH_DATABASE_URL",
        host: `${host.hostname}:${host.port}`,
        version: server.version,
        settings: server.settings,
        durable: server.settings.fsync === "on" && server.settings.synchronous_commit === "on",
        serverPoolSize: 10,
      },
      async fresh() {
        const schema = `bench_${randomBytes(6).toString("hex")}`;
        await admin(adminUrl, (c) => c.query(`CREATE SCHEMA ${schema}`));
        const url = new URL(adminUrl);
        // Every connection made with this URL (the seeder's, the server's pool) creates and finds its tables there.
        url.searchParams.set("options", `-c search_path=${schema}`);
        const dataDir = freshDataDir();
        return {
          dataDir,
          env: { DATABASE_URL: url.toString() },
          seeder: async (ringCapacity = 2000) => new Seeder(new Storage(await PostgresEngine.open({ url: url.toString(), ringCapacity, connectTimeoutMs: 10_000 }))),
          async dispose() {
            rmSync(dataDir, { recursive: true, force: true });
            await admin(adminUrl, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
          },
        };
      },
      cpuTargets: () => (server.postmaster === null ? {} : { postgres: { tree: server.postmaster } }),
      counters: () =>
        admin(adminUrl, async (c) => {
          // Backends report their counts at most once a second: wait for that before reading.
          await new Promise((resolve) => setTimeout(resolve, 1100));
          const sql = "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = current_database()";
          const row = (await c.query<Record<string, string>>(sql)).rows[0]!;
          return { commits: Number(row.xact_commit), inserted: Number(row.tup_inserted), updated: Number(row.tup_updated), deleted: Number(row.tup_deleted) };
        }),
      async close() {
        opened?.stop();
      },
    };
  } catch (error) {
    service?.stop();
    throw error;
  }
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The postmaster of a backend running on this machine (its parent, if that is a postgres process we can see), else null. */
function localParent(backendPid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${backendPid}/stat`, "utf8");
    if (!stat.includes("(postgres)")) return null;
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return readFileSync(`/proc/${ppid}/stat`, "utf8").includes("(postgres)") ? ppid : null;
  } catch {
    return null;
  }
}

/** Runs `fn` on a fresh store of `db`, and disposes of the store afterwards, whatever happens. */
export async function withStore<T>(db: BenchDatabase, fn: (store: BenchStore) => Promise<T>): Promise<T> {
  const store = await db.fresh();
  try {
    return await fn(store);
  } finally {
    await store.dispose();
  }
}

/** ", postgres N%" for a note, when the database's processes were measured beside the server (cpuTargets). */
export function dbCpu(processes: Record<string, number>): string {
  return processes.postgres === undefined ? "" : `, postgres ${processes.postgres}%`;
}
