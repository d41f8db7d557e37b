import { createTestSchema } from "../../server/testing/engines.js";

/**
 * The e2e `postgres` project's server: Courier on a fresh schema of the
 * throwaway PostgreSQL that `npm test` starts (TEST_DATABASE_URL), otherwise
 * exactly `server/server.ts`. The schema goes with that PostgreSQL.
 */
if (!process.env.TEST_DATABASE_URL) {
  console.error("The e2e postgres project needs TEST_DATABASE_URL: run the suite through `npm test` (or `npm test -- npx playwright test …`), which starts a throwaway PostgreSQL.");
  process.exit(1);
}
process.env.DATABASE_URL = (await createTestSchema()).url;
await import("../../server/server.js");
