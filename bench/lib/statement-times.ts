import Database from "better-sqlite3";

/**
 * Times every SQLite statement prepared from now on, by its text (the first
 * 80 characters, whitespace folded): for the in-process cost tools
 * (bench/tools/*-write-cost.ts, env STATEMENTS=1). Call before the database
 * is opened; `clear()` after a warm-up, `print()` at the end.
 */
export function timeStatements(): { clear(): void; print(limit?: number): void } {
  const times = new Map<string, number[]>();
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, sql: string) {
    const statement = prepare.call(this, sql) as Database.Statement;
    const key = sql.replace(/\s+/g, " ").slice(0, 80);
    for (const method of ["run", "get", "all"] as const) {
      const call = statement[method] as (...args: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return call.apply(statement, args);
        } finally {
          const list = times.get(key) ?? [];
          list.push(performance.now() - t0);
          times.set(key, list);
        }
      };
    }
    return statement;
  } as typeof prepare;
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
  return {
    clear: () => times.clear(),
    print(limit = 12) {
      for (const [sql, xs] of [...times].sort((a, b) => total(b[1]) - total(a[1])).slice(0, limit)) {
        const us = (ms: number, width: number) => (ms * 1000).toFixed(1).padStart(width);
        console.info(`${String(xs.length).padStart(6)} × mean ${us(total(xs) / xs.length, 7)} µs  p50 ${us(quantile(xs, 0.5), 6)}  p99 ${us(quantile(xs, 0.99), 7)}  ${sql}`);
      }
    },
  };
}
