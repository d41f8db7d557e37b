import type Database from "better-sqlite3";
import type { Committed, Engine, Repos, WriteOptions } from "../tx.js";
import { GroupCommit } from "./group-commit.js";
import { openDatabase } from "./open.js";
import { createStores } from "./stores.js";
import { Checkpointer, type HoldWrites, WRITER_CHECKPOINT_PAGES } from "./checkpointer.js";
import { SearchIndexer } from "./search-indexer.js";
import { WalFile } from "./wal-sync.js";

export interface SqliteOptions {
  /** A folder for courier.db, or ":memory:". */
  dataDir: string;
  ringCapacity: number;
}

/** What `SqliteEngine.walHealth` answers. */
export interface WalHealth {
  walPages: number;
  checkpoints: number;
  checkpointFailures: number;
  restarts: number;
  writeHolds: number;
  writesHeldMs: number;
}

/**
 * The embedded engine: better-sqlite3, one connection, WAL. Writes are
 * grouped into one transaction per event-loop turn (group commit) and
 * answered only once on disk: the WAL is synced on the thread pool while the
 * next group gathers (wal-sync.ts), so the event loop never waits for the
 * disk; reads and write groups take turns on the connection. Writes use
 * BEGIN IMMEDIATE, so two processes on one file queue on the lock instead of
 * deadlocking on upgrade.
 */
export class SqliteEngine implements Engine {
  readonly kind = "sqlite";
  private readonly tasks: GroupCommit<Repos>;

  private readonly wal: WalFile | null;
  private readonly checkpointer: Checkpointer | null;
  /** Moves new messages into the search index behind their commits (search-indexer.ts). */
  readonly searchIndexer: SearchIndexer;
  private closing: Promise<void> | null = null;

  private constructor(private readonly db: Database.Database, ringCapacity: number) {
    const stores = createStores(db, ringCapacity, () => this.searchIndexer.stored());
    const wal = db.memory ? null : new WalFile(db);
    this.wal = wal;
    this.checkpointer = db.memory ? null : startCheckpointer(db, (task) => this.tasks.holdWrites(task));
    const checkpointer = this.checkpointer;
    this.tasks = new GroupCommit(
      db,
      stores.session,
      undefined,
      wal &&
        (() => {
          checkpointer?.committed();
          return wal.sync().catch((error: unknown) => {
            // Nothing more is copied out of a WAL whose sync failed (the pages it held may be gone).
            void checkpointer?.close();
            db.pragma("wal_autocheckpoint = 0");
            throw error;
          });
        }),
    );
    this.searchIndexer = new SearchIndexer(db, (task) => this.tasks.write(async () => task(), true).then((c) => c.result));
  }

  static open(opts: SqliteOptions): SqliteEngine {
    return new SqliteEngine(openDatabase(opts.dataDir), opts.ringCapacity);
  }

  /** Writes and commits so far: how well group commit groups. */
  get commitStats(): Readonly<GroupCommit<Repos>["stats"]> {
    return this.tasks.stats;
  }

  /**
   * The write-ahead log (metrics: courier_sqlite_*): its size at the last
   * checkpoint, checkpoints run and failed, the times it started over, and
   * the times writes were held so that it could, and for how long in all.
   */
  get walHealth(): WalHealth {
    const c = this.checkpointer?.stats;
    const { holds, heldMs } = this.tasks.stats;
    return { walPages: c?.walPages ?? 0, checkpoints: c?.runs ?? 0, checkpointFailures: c?.failures ?? 0, restarts: c?.restarts ?? 0, writeHolds: holds, writesHeldMs: heldMs };
  }

  /** The connection's `synchronous` setting (1 NORMAL with the WAL synced off the event loop, 2 FULL) and the syncs run. */
  get durability(): { synchronous: number; walSyncs: number; checkpoints: number } {
    return {
      synchronous: this.db.pragma("synchronous", { simple: true }) as number,
      walSyncs: this.tasks.syncCount,
      checkpoints: this.checkpointer?.stats.runs ?? 0,
    };
  }

  read<T>(fn: (r: Repos) => Promise<T>): Promise<T> {
    return this.tasks.read(fn);
  }

  write<T>(fn: (tx: Repos) => Promise<T>, opts?: WriteOptions): Promise<Committed<T>> {
    return this.tasks.write(fn, opts?.background ?? false);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.db.open) return;
      this.searchIndexer.close();
      await this.tasks.drain();
      await this.checkpointer?.close();
      this.db.close();
      this.wal?.close();
    })();
    return this.closing;
  }
}

/** The checkpoint thread, the writer's own checkpoints only a valve; without a thread (it cannot start, or dies), SQLite's default. */
function startCheckpointer(db: Database.Database, holdWrites: HoldWrites): Checkpointer | null {
  const byDefault = () => db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_CHECKPOINT_PAGES}`);
  try {
    const checkpointer = new Checkpointer(db.name, {
      onGone: () => {
        console.error("The WAL checkpoint thread stopped; the writer checkpoints again.");
        if (db.open) byDefault();
      },
      holdWrites,
    });
    db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
    return checkpointer;
  } catch (error) {
    console.error("The WAL checkpoint thread could not start; the writer checkpoints.", error);
    return null;
  }
}

/** SQLite's own `wal_autocheckpoint`. */
const SQLITE_DEFAULT_CHECKPOINT_PAGES = 1000;
