import { within } from "../within.js";
import type { Appended, Committed, Engine, Repos, WriteOptions } from "./tx.js";

export type * from "./tx.js";

/**
 * What features use: one engine (SQLite or PostgreSQL) behind `read` and
 * `write`, and the one place where committed entries are handed on. Every
 * write's appended entries go to the commit listeners (the hub, which pushes
 * them to live connections and the offline channel) after its transaction
 * committed, never before, and for every write without exception: a route
 * cannot forget to publish.
 */
export class Storage {
  private readonly listeners: ((appended: Appended) => void)[] = [];

  constructor(
    readonly engine: Engine,
    private readonly onListenerError: (error: unknown) => void = (error) => console.error("commit listener failed", error),
  ) {}

  get kind(): Engine["kind"] {
    return this.engine.kind;
  }

  /** Called with each write's entries once committed, in commit order within this process. */
  onCommit(listener: (appended: Appended) => void): void {
    this.listeners.push(listener);
  }

  read<T>(fn: (r: Repos) => Promise<T>): Promise<T> {
    return this.engine.read(fn);
  }

  /** Resolves with the rule's result once committed; the entries it appended have gone to the listeners. */
  async write<T>(fn: (tx: Repos) => Promise<T>, opts?: WriteOptions): Promise<T> {
    return (await this.writeAppending(fn, opts)).result;
  }

  /** `write`, also answering what was appended (tests, and callers that report it). */
  async writeAppending<T>(fn: (tx: Repos) => Promise<T>, opts?: WriteOptions): Promise<Committed<T>> {
    const committed = await this.engine.write(fn, opts);
    if (committed.appended.length > 0) {
      for (const listener of this.listeners) {
        try {
          listener(committed.appended);
        } catch (error) {
          // Committed is committed: a listener's failure must not turn it into an error for the caller.
          this.onListenerError(error);
        }
      }
    }
    return committed;
  }

  /** Whether the database answers a trivial read within `timeoutMs` (readiness). */
  ping(timeoutMs = 1000): Promise<boolean> {
    return within(
      this.engine.read(async (r) => r.users.get("")).then(() => true),
      timeoutMs,
      false,
    );
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
