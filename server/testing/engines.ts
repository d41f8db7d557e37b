import { randomBytes } from "node:crypto";
import pg from "pg";
import { PostgresEngine } from "../storage/postgres/engine.js";
import { SqliteEngine } from "../storage/sqlite/engine.js";
import { Storage } from "../storage/storage.js";

/**
 * Which engine the server tests run on, and throwaway PostgreSQL schemas for
 * them. `npm test` runs the server suites twice: on SQLite, and with
 * COURIER_TEST_ENGINE=postgres against the PostgreSQL it starts
 * (TEST_DATABASE_URL). Each test server gets a schema of its own, named in
 * its DATABASE_URL, so servers restarted on "the same data" (crash tests)
 * find it again and parallel test files never meet.
 */
export type EngineKind = "sqlite" | "postgres";

export const testEngine: EngineKind = process.env.COURIER_TEST_ENGINE === "postgres" ? "postgres" : "sqlite";

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("The PostgreSQL tests need TEST_DATABASE_URL: run them through `npm test`, which starts a throwaway PostgreSQL.");
  return url;
}

export interface TestSchema {
  /** DATABASE_URL of the schema: connections made with it create and find everything there. */
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty schema on the test server. */
export async function createTestSchema(): Promise<TestSchema> {
  const schema = `t_${randomBytes(8).toString("hex")}`;
  await admin((c) => c.query(`CREATE SCHEMA ${schema}`));
  const url = new URL(testDatabaseUrl());
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).then(() => undefined),
  };
}

/** A storage on `kind` with nothing in it, and how to be rid of it. */
export async function openTestStorage(kind: EngineKind, ringCapacity = 2000): Promise<{ storage: Storage; dispose(): Promise<void> }> {
  if (kind === "sqlite") {
    const storage = new Storage(SqliteEngine.open({ dataDir: ":memory:", ringCapacity }));
    return { storage, dispose: () => storage.close() };
  }
  const schema = await createTestSchema();
  const storage = new Storage(await PostgresEngine.open({ url: schema.url, ringCapacity }));
  return {
    storage,
    async dispose() {
      await storage.close();
      await schema.drop();
    },
  };
}
