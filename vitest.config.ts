import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` runs every test (server tests on the embedded SQLite
 * engine; the storage contract on both engines, the PostgreSQL engine's own
 * tests), and `server-on-postgres` runs the server's tests again with every
 * test server on PostgreSQL (TEST_DATABASE_URL, started by `npm test`;
 * server/testing/engines.ts). What works on one engine must work on both.
 */
export default defineConfig({
  test: {
    environment: "node",
    testTimeout: 20_000,
    pool: "forks",
    // Vitest's default is one fork fewer than the cores: one fork on the 2-core
    // CI machine, where the suite then took 12 minutes; two took 9 with the
    // machine busy (2026-12-05). The tests wait mostly on servers, sockets
    // and databases, not on the CPU.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["shared/**/*.test.ts", "server/**/*.test.ts", "web/**/*.test.ts", "scripts/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "server-on-postgres",
          include: ["server/**/*.test.ts"],
          // The storage and cluster tests choose their engines themselves (clusters run on PostgreSQL).
          exclude: ["server/storage/**", "server/cluster/**"],
          env: { COURIER_TEST_ENGINE: "postgres" },
        },
      },
    ],
  },
});
