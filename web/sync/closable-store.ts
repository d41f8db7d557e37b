import type { SyncStore } from "../../shared/sync/types.js";
import type { Domain, Entry, Snapshot, Versions } from "../../shared/protocol/index.js";

/** Thrown by a ClosableStore asked to write after it was closed. */
export class StoreClosedError extends Error {
  constructor() {
    super("The sync client has stopped; nothing more is written.");
    this.name = "StoreClosedError";
  }
}

/**
 * A store that can be shut for good. After `close()` it refuses to start an
 * apply or a snapshot (they throw StoreClosedError, so the engine keeps the
 * entries and gives up), and `close()` resolves once the writes already
 * started have finished. The engine cannot promise this by itself: its
 * `idle()` resolves as soon as it is stopped, and a pull or snapshot request
 * answered after that would still write. A stopped client must not: a newer
 * client of the same user (a new device id, a re-check) may already be
 * writing to the same database, and a late snapshot would wipe its data.
 */
export class ClosableStore implements SyncStore {
  private closed = false;
  private readonly writes = new Set<Promise<void>>();

  constructor(private readonly inner: SyncStore) {}

  loadVersions(): Promise<Versions> {
    return this.inner.loadVersions();
  }

  apply(d: Domain, entries: Entry[], version: number): Promise<void> {
    return this.write(() => this.inner.apply(d, entries, version));
  }

  applySnapshot(snapshot: Snapshot): Promise<void> {
    return this.write(() => this.inner.applySnapshot(snapshot));
  }

  /** Refuses new writes; resolves when none is in progress any more. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
  }

  private write(run: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    const write = run();
    this.writes.add(write);
    const done = () => void this.writes.delete(write);
    write.then(done, done);
    return write;
  }
}
