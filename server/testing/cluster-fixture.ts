import { afterAll, afterEach, beforeAll } from "vitest";
import { startRedis } from "../../scripts/provision/redis.js";
import type { RunningService } from "../../scripts/provision/service.js";
import type { Config } from "../config.js";
import { createTestSchema, type TestSchema } from "./engines.js";
import { type Client, eventually, startServer, type TestServer } from "./harness.js";

/**
 * A cluster for a test file: apps on one fresh PostgreSQL schema, linked
 * through one Redis of the file's own. Call it at the file's top level (it
 * registers the hooks); `enabled` is false without TEST_DATABASE_URL (`npm
 * test` provides it). Servers, schema and the clients pushed to `clients`
 * go after each test.
 */
export function clusterFixture() {
  const enabled = Boolean(process.env.TEST_DATABASE_URL);
  let redis: RunningService | undefined;
  let schema: TestSchema | undefined;
  const servers: TestServer[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    if (enabled) redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.disconnect();
    await Promise.all(servers.splice(0).map((s) => s.dispose()));
    await schema?.drop();
    schema = undefined;
  });

  return {
    enabled,
    clients,
    /** One process per config, all on the same data; resolves once every one is linked. */
    async start(configs: Partial<Config>[]): Promise<TestServer[]> {
      if (!redis) throw new Error("A cluster needs TEST_DATABASE_URL: run the tests through `npm test`.");
      schema ??= await createTestSchema();
      for (const config of configs) servers.push(await startServer({ databaseUrl: schema.url, redisUrl: redis.url, ...config }));
      await eventually(() => servers.every((s) => s.cluster.link?.up === true));
      return [...servers];
    },
  };
}
