import type { Storage } from "../storage/storage.js";

/**
 * The storage every feature gets, with each read and write transaction timed
 * (`courier_db_seconds{engine, op}`), whichever engine is behind it. A view
 * of the same object, not a copy: commit listeners, the engine and `close`
 * are the storage's own, so an injected storage (tests) and the view stay
 * one. `write` is the storage's own too: it goes through `writeAppending`,
 * which is timed here, so each transaction is observed once. Queueing for
 * the engine (SQLite's one writer, the PostgreSQL pool) counts: it is what a
 * request waits.
 */
export function timedStorage(storage: Storage, observe: (op: "read" | "write", ms: number) => void): Storage {
  const timed = async <T>(op: "read" | "write", run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      // Timing never turns a committed write into an error.
      try {
        observe(op, performance.now() - started);
      } catch {
        // ignored: a metric lost, the transaction's outcome kept
      }
    }
  };
  // The engine's own methods, taken once: a test that replaces `read` on the view (to count lookups)
  // replaces what the view answers, and its replacement calls through to the timed one.
  const engineRead = storage.read.bind(storage);
  const engineWriteAppending = storage.writeAppending.bind(storage);
  const own: Partial<Pick<Storage, "read" | "writeAppending">> = {
    read: (fn) => timed("read", () => engineRead(fn)),
    writeAppending: (fn, opts) => timed("write", () => engineWriteAppending(fn, opts)),
  };
  const isTimed = (key: string | symbol): key is "read" | "writeAppending" => key === "read" || key === "writeAppending";
  return new Proxy(storage, {
    get(target, key, receiver) {
      if (isTimed(key)) return own[key];
      return Reflect.get(target, key, receiver) as unknown;
    },
    set(target, key, value, receiver) {
      if (!isTimed(key)) return Reflect.set(target, key, value, receiver);
      own[key] = value as never;
      return true;
    },
  });
}
