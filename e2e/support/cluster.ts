import { startRedis } from "../../scripts/provision/redis.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { Balancer, type Listener } from "../../server/testing/balancer.js";
import { createTestSchema, type TestSchema } from "../../server/testing/engines.js";
import { ServerProcess } from "../../server/testing/server-process.js";

/**
 * Courier as several processes for the e2e specs that need it (the `cluster`
 * project, the chaos suite's cluster run): server processes on one fresh
 * schema of the throwaway PostgreSQL (TEST_DATABASE_URL) and one Redis,
 * behind the test balancer (server/testing/balancer.ts) with a listener per
 * process that prefers it and fails over to the others, and one that deals
 * connections round robin. Browsers load the app through a listener, so its
 * origin is the listener's and the servers see the same Host.
 *
 * Redis is TEST_REDIS_URL, or (`ownRedis`) one started here that the spec can
 * stop and start again on the same port.
 */
export interface CourierCluster {
  processes: ServerProcess[];
  balancer: Balancer;
  /** `prefer[i]`: the listener whose connections go to process i first. */
  prefer: Listener[];
  /** Round robin over all processes. */
  roundRobin: Listener;
  /** Set with `ownRedis`: pause() stops it, resume() starts it again, empty, on its port. */
  redis: RunningService | null;
  stop(): Promise<void>;
}

const NEEDS =
  "The cluster e2e specs need TEST_DATABASE_URL and TEST_REDIS_URL: run them through `npm test` (e.g. `npm test -- npx playwright test --project=cluster`), which starts PostgreSQL and Redis.";

export async function startCluster(opts: { processes?: number; env?: Record<string, string>; ownRedis?: boolean } = {}): Promise<CourierCluster> {
  if (!process.env.TEST_DATABASE_URL || (!opts.ownRedis && !process.env.TEST_REDIS_URL)) throw new Error(NEEDS);
  let schema: TestSchema | null = null;
  let redis: RunningService | null = null;
  const processes: ServerProcess[] = [];
  let balancer: Balancer | null = null;
  const stop = async () => {
    await balancer?.stop();
    await Promise.all(processes.map((p) => p.stop()));
    redis?.stop();
    await schema?.drop();
  };
  try {
    schema = await createTestSchema();
    redis = opts.ownRedis ? await startRedis() : null;
    const env = { DATABASE_URL: schema.url, REDIS_URL: redis?.url ?? process.env.TEST_REDIS_URL!, ...opts.env };
    // One after the other: the first runs the migrations.
    for (let i = 0; i < (opts.processes ?? 2); i++) processes.push(await ServerProcess.start({ env }));
    balancer = new Balancer(processes.map((p) => p.port));
    const prefer: Listener[] = [];
    for (let i = 0; i < processes.length; i++) {
      prefer.push(await balancer.listen({ prefer: processes.map((_, j) => (i + j) % processes.length) }));
    }
    return { processes, balancer, prefer, roundRobin: await balancer.listen(), redis, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
