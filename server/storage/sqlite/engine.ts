import type Database from "better-sqlite3";
import type { Committed, Engine, Repos } from "../tx.js";
import { GroupCommit } from "./group-commit.js";
import { openDatabase } from "./open.js";
import { createStores } from "./stores.js";

export interface SqliteOptions {
  /** A folder for courier.db, or ":memory:". */
  dataDir: string;
  ringCapacity: number;
}

/**
 * The embedded engine: better-sqlite3, one connection, WAL, `synchronous =
 * FULL`. Writes are grouped into one transaction per event-loop turn (group
 * commit) and answered only after the commit; reads and write groups take
 * turns on the connection. Writes use BEGIN IMMEDIATE, so two processes on
 * one file queue on the lock instead of deadlocking on upgrade.
 */
export class SqliteEngine implements Engine {
  readonly kind = "sqlite";
  private readonly tasks: GroupCommit<Repos>;

  private constructor(private readonly db: Database.Database, ringCapacity: number) {
    const stores = createStores(db, ringCapacity);
    this.tasks = new GroupCommit(db, stores.session);
  }

  static open(opts: SqliteOptions): SqliteEngine {
    return new SqliteEngine(openDatabase(opts.dataDir), opts.ringCapacity);
  }

  /** Writes and commits so far: how well group commit groups. */
  get commitStats(): Readonly<GroupCommit<Repos>["stats"]> {
    return this.tasks.stats;
  }

  read<T>(fn: (r: Repos) => Promise<T>): Promise<T> {
    return this.tasks.read(fn);
  }

  write<T>(fn: (tx: Repos) => Promise<T>): Promise<Committed<T>> {
    return this.tasks.write(fn);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    await this.tasks.drain();
    this.db.close();
  }
}
