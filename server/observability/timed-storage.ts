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
      observe(op, performance.now() - started);
    }
  };
  const read: Storage["read"] = (fn) => timed("read", () => storage.read(fn));
  const writeAppending: Storage["writeAppending"] = (fn) => timed("write", () => storage.writeAppending(fn));
  return new Proxy(storage, {
    get(target, key, receiver) {
      if (key === "read") return read;
      if (key === "writeAppending") return writeAppending;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}
