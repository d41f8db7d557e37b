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
