import pg from "pg";
import type { ClientBase, CustomTypesConfig } from "pg";
import { CourierError } from "../../../shared/protocol/index.js";
import type { Committed, Engine, Repos } from "../tx.js";
import { BEGIN_READ, BEGIN_WRITE, Conn, type Db, type PgLog } from "./db.js";
import { AppendBatch } from "../append-batch.js";
import { busy, conflictKind, describe, isConnectionError, isPoolWait, isRetryable, translate } from "./errors.js";
import { checkSchemaName, migrate } from "./migrations.js";
import { createRepos } from "./repos.js";

export interface PostgresOptions {
  /** `postgres://…` (DATABASE_URL). */
  url: string;
  ringCapacity: number;
  /** Tables go in this schema (created if missing) instead of the connection's default; tests use one per server. */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  log?: PgLog;
  /** How long `open()` keeps retrying an unreachable database (default: until it is reachable). */
  connectTimeoutMs?: number;
  /** A statement unanswered this long counts as a lost connection (default 30 s; tests shorten it). */
  answerWithinMs?: number;
}

/** Waiting for a connection, new or from the pool, gives up after this: then requests answer 503. */
const CONNECT_TIMEOUT_MS = 3000;
/** See PostgresOptions.answerWithinMs. */
const ANSWER_WITHIN_MS = 30_000;
/** `open()` tries again this often while the database is unreachable. */
const OPEN_RETRY_MS = 1000;
/** Runs of a write that hit a deadlock, a serialization failure or a concurrent insert of the same key. */
const MAX_ATTEMPTS = 5;
/** During an outage, "unavailable" is logged at most this often. */
const UNAVAILABLE_LOG_EVERY_MS = 5000;

/**
 * int8 (counts, BIGINT columns: times, versions, seqs) and numeric come back
 * as JS numbers instead of strings, for this pool only (pg's global parsers
 * are left alone). Every value Courier stores is far below 2^53.
 */
const TYPES: CustomTypesConfig = {
  getTypeParser: (oid, format) => {
    if ((oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) && format !== "binary") return Number;
    return pg.types.getTypeParser(oid, format);
  },
};

const CONSOLE_LOG: PgLog = {
  warn: (obj, msg) => console.warn(msg, obj),
  info: () => undefined,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown; stale: boolean };

/**
 * The PostgreSQL engine: a pg pool, one connection per `read`/`write`.
 *
 * - `write`: READ COMMITTED; the rule runs with repositories bound to the
 *   transaction's connection and a fresh append batch, and runs again (with
 *   a new batch, after a few ms of jitter) when the transaction hit a
 *   deadlock, a serialization failure or a unique violation: rules check
 *   before they insert, so on the retry the rule sees the row a concurrent
 *   transaction inserted. A CourierError from the rule is rethrown as is.
 * - `read`: REPEATABLE READ READ ONLY, so every statement of the read sees
 *   one state (a snapshot's summaries, messages and heads agree).
 * - An unreachable database makes `read`/`write` reject with CourierError
 *   `unavailable` (503 + Retry-After); broken connections are discarded, so
 *   requests work again as soon as the database is back.
 */
export class PostgresEngine implements Engine {
  readonly kind = "postgres" as const;
  /** Transactions run again, by cause (a deadlock here means two rules lock in different orders). */
  readonly stats = { conflicts: { deadlock: 0, serialization: 0, unique: 0 } };
  private closed = false;
  private lastUnavailableLog = 0;
  private lastBusyLog = 0;
  /** Requests refused "busy" since the last log of it. */
  private busySinceLog = 0;
  private down = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ring: number,
    private readonly log: PgLog,
    private readonly answerWithinMs: number,
  ) {}

  /**
   * Connects and brings the schema up to date. While the database is
   * unreachable it keeps trying every second (logging each attempt), until
   * `connectTimeoutMs` if given. A schema newer than this server is refused.
   */
  static async open(opts: PostgresOptions): Promise<PostgresEngine> {
    const schema = opts.schema === undefined ? undefined : checkSchemaName(opts.schema);
    const log = opts.log ?? CONSOLE_LOG;
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: "courier",
      types: TYPES,
      // Statements are written without waiting for the previous answer (db.ts, Conn).
      pipeline: true,
      // On every new connection, before the pool hands it out. A startup
      // `options` parameter would save this round trip, but one given in the
      // URL replaces it.
      ...(schema === undefined ? {} : { onConnect: (client: ClientBase) => client.query(`SET search_path TO "${schema}"`) }),
    });
    // Idle connections that fail (the server restarted, the link broke) are
    // dropped by the pool; without a listener the error would end the process.
    pool.on("error", (error) => log.warn({ error: describe(error) }, "An idle PostgreSQL connection failed; the pool discarded it."));

    const deadline = opts.connectTimeoutMs === undefined ? Infinity : Date.now() + opts.connectTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await migrate(pool, { schema, log });
        return new PostgresEngine(pool, opts.ringCapacity, log, opts.answerWithinMs ?? ANSWER_WITHIN_MS);
      } catch (error) {
        const remaining = deadline - Date.now();
        if (!isConnectionError(error) || remaining <= 0) {
          await pool.end().catch(() => undefined);
          if (!isConnectionError(error)) throw error;
          const reason = describe(error);
          throw new Error(`Could not reach PostgreSQL within ${opts.connectTimeoutMs} ms (${reason.message || reason.code || "no answer"}).`, {
            cause: error,
          });
        }
        log.warn({ attempt, error: describe(error) }, "PostgreSQL is unreachable; trying again in 1 s.");
        await sleep(Math.min(OPEN_RETRY_MS, remaining));
      }
    }
  }

  read<T>(fn: (r: Repos) => Promise<T>): Promise<T> {
    return this.run(BEGIN_READ, false, (db) => fn(createRepos(db, null, this.ring)));
  }

  async write<T>(fn: (tx: Repos) => Promise<T>): Promise<Committed<T>> {
    let batch = new AppendBatch();
    const result = await this.run(BEGIN_WRITE, true, (db) => {
      batch = new AppendBatch();
      return fn(createRepos(db, batch, this.ring));
    });
    return { result, appended: batch.toAppended() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async run<T>(begin: string, retryConflicts: boolean, body: (db: Db) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(begin, body);
      if (outcome.ok) {
        if (this.down) {
          this.down = false;
          this.log.info({}, "PostgreSQL is reachable again.");
        }
        return outcome.value;
      }
      const { error } = outcome;
      if (error instanceof CourierError) throw error;
      if (retryConflicts && isRetryable(error)) this.stats.conflicts[conflictKind(error)]++;
      if (retryConflicts && isRetryable(error) && attempt < MAX_ATTEMPTS) {
        await sleep(attempt + Math.random() * 5 * attempt);
        continue;
      }
      // A pooled connection that died while idle (its server went away
      // without saying so) fails at BEGIN: nothing was done, so once more
      // on a fresh connection before answering 503.
      if (outcome.stale && attempt === 1) continue;
      // Every connection busy for the whole wait: the database is up but behind; say "busy", not "unreachable".
      if (isPoolWait(error) && this.pool.totalCount >= (this.pool.options.max ?? 10)) {
        this.noteBusy();
        throw busy();
      }
      if (isConnectionError(error)) this.noteUnavailable(error);
      throw translate(error);
    }
  }

  private async attempt<T>(begin: string, body: (db: Db) => Promise<T>): Promise<Attempt<T>> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      return { ok: false, error, stale: false };
    }
    const conn = new Conn(client, begin, this.answerWithinMs);
    try {
      const value = await body(conn);
      await conn.commit();
      return { ok: true, value };
    } catch (error) {
      await conn.abort(error);
      // A statement refused because an earlier one failed (the transaction is
      // aborted) reports the earlier error: that one decides (retry, 503, 400).
      const cause = error instanceof CourierError || conn.firstError === null ? error : conn.firstError;
      return { ok: false, error: cause, stale: conn.untouched && isConnectionError(cause) };
    }
  }

  /** Requests that found every connection busy for the whole wait: logged with their count at most every 5 s (each is also counted by code in the metrics). */
  private noteBusy(): void {
    this.busySinceLog++;
    const now = Date.now();
    if (now - this.lastBusyLog < UNAVAILABLE_LOG_EVERY_MS) return;
    this.lastBusyLog = now;
    this.log.warn({ refused: this.busySinceLog, poolSize: this.pool.options.max ?? 10 }, "Every PostgreSQL connection stayed busy for the whole wait; requests answered 503 busy.");
    this.busySinceLog = 0;
  }

  private noteUnavailable(error: unknown): void {
    this.down = true;
    const now = Date.now();
    if (now - this.lastUnavailableLog < UNAVAILABLE_LOG_EVERY_MS) return;
    this.lastUnavailableLog = now;
    this.log.warn({ error: describe(error) }, "PostgreSQL is unreachable; requests answer 503 until it is back.");
  }
}
