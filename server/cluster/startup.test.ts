import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startPostgres } from "../../scripts/provision/postgres.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { eventually } from "../testing/harness.js";
import { freePort } from "../testing/server-process.js";

/**
 * A process started while PostgreSQL is down keeps retrying and says it is
 * not ready (503 on every path, readiness included) until the database
 * answers, then serves without a restart (protocol: several server processes).
 */
const enabled = Boolean(process.env.TEST_DATABASE_URL);
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const clean of cleanups.splice(0)) clean();
});

describe.skipIf(!enabled)("starting while the database is down", () => {
  it("answers 503 unavailable with Retry-After until PostgreSQL comes up, then is ready", async () => {
    const pg: RunningService = await startPostgres();
    cleanups.push(() => pg.stop());
    await pg.pause!();
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), "courier-start-"));
    const child = spawn(process.execPath, ["--import", "tsx", "server/server.ts"], {
      env: { ...process.env, LOG_LEVEL: "silent", PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, DATABASE_URL: pg.url },
      stdio: "ignore",
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    });
    const url = `http://127.0.0.1:${port}`;
    let starting: Response | null = null;
    await eventually(async () => {
      starting = await fetch(`${url}/api/ready`).catch(() => null);
      return starting !== null;
    }, 20_000);
    expect(starting!.status).toBe(503);
    expect(starting!.headers.get("retry-after")).toBe("2");
    expect(await starting!.json()).toMatchObject({ error: { code: "unavailable" } });
    expect((await fetch(`${url}/api/health`)).status).toBe(503);

    await pg.resume!();
    await eventually(async () => (await fetch(`${url}/api/ready`).catch(() => null))?.status === 200, 20_000);
    const ready = (await (await fetch(`${url}/api/ready`)).json()) as Record<string, unknown>;
    expect(ready).toEqual({ ready: true, database: "up", redis: "off", draining: false });
    expect(child.exitCode).toBeNull();
  }, 60_000);
});
