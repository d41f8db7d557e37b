import type { PoolClient, QueryConfig, QueryResult, QueryResultRow } from "pg";
import { CommitInDoubt, isConnectionError } from "./errors.js";

/** Where the engine reports (pino's shape). Never given query parameters. */
export interface PgLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** What a repository needs: one statement at a time, inside the transaction it is bound to. */
export interface Db {
  /**
   * " FOR UPDATE" in a write, "" in a read: `lock()` in a read (a READ ONLY
   * transaction, which refuses FOR UPDATE) is a plain get, as in SQLite.
   */
  readonly forUpdate: string;
  /** Statements sent so far in this transaction: an answer kept at n is still what a new statement would see while it is n. */
  readonly sent: number;
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: readonly unknown[]): Promise<QueryResult<R>>;
  /**
   * A write whose answer the rule does not wait for (issue 16, PGTRIPS): it
   * goes out with the statements after it, with no round trip of its own.
   * Its failure, or `check`'s (which sees its answer), is the transaction's:
   * every statement after it and COMMIT fail with it, and nothing is kept.
   */
  queue<R extends QueryResultRow = QueryResultRow>(text: string, values: readonly unknown[], check?: (result: QueryResult<R>) => void): void;
}

/** The first row `text` answers, mapped, or null. */
export async function first<R extends QueryResultRow, T>(db: Db, text: string, values: readonly unknown[], map: (row: R) => T): Promise<T | null> {
  const { rows } = await db.query<R>(text, values);
  return rows[0] ? map(rows[0]) : null;
}

/** Names of the prepared statements (see `prepared`), by text. */
const PREPARED = new Map<string, string>();

/**
 * Marks a statement to be prepared once per connection (issue 16): pg sends
 * its Parse (under a name) only the first time a connection runs it, so
 * PostgreSQL no longer parses and analyses it at every run. For the hot
 * path's key lookups and writes, whose plan does not depend on the values
 * (PostgreSQL may keep one generic plan for them after five runs). Answers
 * the text itself.
 */
export function prepared(text: string): string {
  if (!PREPARED.has(text)) PREPARED.set(text, `courier_${PREPARED.size + 1}`);
  return text;
}

export const BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED";
/** One snapshot for every statement of a read (a snapshot's summaries, messages and heads agree). */
export const BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/**
 * One pooled connection running one transaction, on a pipelined client
 * (`pipeline: true`, engine.ts): pg writes each statement to the socket at
 * once instead of after the previous answer, and answers come back in order.
 *
 * - BEGIN goes out in the same write as the first statement, so a rule that
 *   refuses before touching the database costs no round trip, and the first
 *   statement costs none extra. A snapshot is taken by the first statement
 *   after BEGIN either way, so nothing changes for reads.
 * - Statements a rule starts together (`Promise.all`, or without awaiting
 *   the previous one) go out together, in one write to the socket (`cork`);
 *   each still answers its own result. Writes sent with `queue` are not
 *   waited for at all: they go out with whatever comes next.
 * - Answers are settled in the order sent, so the first database error is
 *   known exactly: after it PostgreSQL refuses everything until ROLLBACK
 *   (25P02), and every later statement (sent or not) fails with that first
 *   error, as it did when statements went one at a time; a rule that
 *   swallowed it cannot commit (a COMMIT of an aborted transaction silently
 *   rolls back). Nothing is sent once an error is known.
 * - A connection that breaks while checked out emits `error` on the client,
 *   which would crash the process without a listener; it is recorded and the
 *   client is then destroyed instead of going back to the pool.
 */
export class Conn implements Db {
  /** Settles after every statement sent so far has been answered (never rejects). */
  private tail: Promise<unknown> = Promise.resolve();
  private begun = false;
  /** BEGIN went through: the connection worked at least once in this transaction. */
  private beganOk = false;
  private released = false;
  private corked = false;
  sent = 0;
  firstError: unknown = null;
  broken: Error | null = null;
  private readonly onError = (error: Error): void => {
    this.broken ??= error;
  };

  readonly forUpdate: string;

  constructor(
    private readonly client: PoolClient,
    private readonly begin: string,
    /** A statement without an answer for this long means the server or the link is gone silently. */
    private readonly answerWithinMs: number,
  ) {
    this.forUpdate = begin === BEGIN_READ ? "" : " FOR UPDATE";
    client.on("error", this.onError);
  }

  /** Nothing reached the database in this transaction (BEGIN itself failed, or was never sent). */
  get untouched(): boolean {
    return !this.beganOk;
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.submit(text, values);
  }

  queue<R extends QueryResultRow = QueryResultRow>(text: string, values: readonly unknown[], check?: (result: QueryResult<R>) => void): void {
    // A repository kept past its transaction hears it at once, as it would from query().
    if (this.released) throw ended();
    // Recorded as the transaction's first error (in order) by send(); nobody awaits this one.
    this.submit(text, values, check).catch(() => undefined);
  }

  private submit<R extends QueryResultRow>(text: string, values?: readonly unknown[], check?: (result: QueryResult<R>) => void): Promise<QueryResult<R>> {
    // A rule that kept a repository past its transaction must not run a
    // statement on a connection that is back in the pool (someone else's now).
    if (this.released) return Promise.reject(ended());
    if (this.firstError !== null) return Promise.reject(this.firstError);
    this.sent++;
    this.cork();
    if (!this.begun) {
      this.begun = true;
      const began = this.send(this.client.query(this.begin));
      this.tail = began.then(
        () => (this.beganOk = true),
        () => undefined,
      );
    }
    const answered = this.client.query<R>(statement(text, values));
    return this.send(
      check
        ? answered.then((result) => {
            check(result);
            return result;
          })
        : answered,
    );
  }

  /**
   * Holds the socket's writes until the current turn's statements are all
   * sent, then writes them in one go (issue 16, PGTRIPS). pg writes each
   * statement with a write call of its own; on a busy machine a loopback
   * write that wakes the database costs tens of microseconds, so BEGIN and
   * the first statement, or statements a rule starts together, share one.
   * `process.nextTick` runs once the rule's already-resolved awaits have
   * run, so statements started in a chain of them go out together too.
   */
  private cork(): void {
    if (this.corked) return;
    const stream = this.client.connection.stream;
    this.corked = true;
    stream.cork();
    process.nextTick(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  /** Settles `sent` after everything sent before it, recording the first error. */
  private send<T>(sent: Promise<T>): Promise<T> {
    // Handled at once (an answer may come before the previous ones are settled here).
    const outcome = this.watched(sent).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const settled = this.tail.then(async () => {
      const o = await outcome;
      if (!o.ok) this.firstError ??= o.error;
      // After an earlier statement failed, PostgreSQL refused this one (25P02): the first error decides.
      if (this.firstError !== null) throw this.firstError;
      return (o as { value: T }).value;
    });
    this.tail = settled.catch(() => undefined);
    return settled;
  }

  /**
   * A database that stops answering without closing the connection (paused,
   * partitioned away) would hold the request until TCP keepalive gives up,
   * many minutes later. Past `answerWithinMs` the socket is destroyed: the
   * statement fails as a lost connection (503) and the client is discarded.
   * No Courier statement comes near it (lock waits are one transaction long).
   */
  private async watched<T>(query: Promise<T>): Promise<T> {
    const timer = setTimeout(() => {
      this.broken ??= new Error(`Connection terminated: no answer from PostgreSQL within ${this.answerWithinMs} ms.`);
      this.client.connection.stream.destroy();
    }, this.answerWithinMs);
    try {
      return await query;
    } finally {
      clearTimeout(timer);
    }
  }

  /** COMMIT (after every statement sent so far), and back to the pool. */
  async commit(): Promise<void> {
    const done = this.tail.then(async () => {
      if (this.firstError !== null) throw this.firstError;
      if (!this.begun) return;
      try {
        await this.watched(this.client.query("COMMIT"));
      } catch (error) {
        // The connection went while COMMIT was on its way: it may have been kept or not.
        if (isConnectionError(error)) throw new CommitInDoubt(error);
        throw error;
      }
    });
    this.tail = done.catch(() => undefined);
    await done;
    this.release();
  }

  /** ROLLBACK if a transaction is open, then back to the pool; a broken connection is discarded. */
  async abort(cause: unknown): Promise<void> {
    await this.tail;
    for (const error of [cause, this.firstError]) {
      if (this.broken === null && error instanceof Error && isConnectionError(error)) this.broken = error;
    }
    if (this.broken === null && this.begun) {
      try {
        await this.watched(this.client.query("ROLLBACK"));
      } catch (error) {
        this.broken = error instanceof Error ? error : new Error(String(error));
      }
    }
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.client.removeListener("error", this.onError);
    // release(err) destroys the connection: the pool opens a fresh one when
    // it needs one, which is how requests work again once the database is back.
    this.client.release(this.broken ?? undefined);
  }
}

const ended = () => new Error("This transaction has ended; a repository was used after its read or write.");

/** A statement as pg takes it: named when `prepared`. */
function statement(text: string, values?: readonly unknown[]): QueryConfig {
  const name = PREPARED.get(text);
  const config: QueryConfig = { text, values: values as unknown[] | undefined };
  if (name !== undefined) config.name = name;
  return config;
}
