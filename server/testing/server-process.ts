import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createTestSchema, testEngine, type TestSchema } from "./engines.js";

/**
 * The real server in a child process (`node --import tsx server/server.ts`)
 * on 127.0.0.1, for tests and benchmarks that must kill it: SIGKILL and a
 * restart on the same port and data directory, as a crash and a supervisor
 * restart would do. Run from the repository root.
 */
export class ServerProcess {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly ownsDataDir: boolean,
    /** The PostgreSQL schema it made for itself (server tests on PostgreSQL), dropped by stop(). */
    private readonly schema: TestSchema | null,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts a server on a free port (or `port`) with a fresh data directory (or
   * `dataDir`); in server tests on PostgreSQL, with a fresh schema unless
   * `env` names a DATABASE_URL.
   */
  static async start(opts: { port?: number; dataDir?: string; env?: Record<string, string> } = {}): Promise<ServerProcess> {
    const port = opts.port ?? (await freePort());
    const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), "courier-proc-"));
    const env = { ...opts.env };
    const schema = testEngine === "postgres" && env.DATABASE_URL === undefined ? await createTestSchema() : null;
    if (schema) env.DATABASE_URL = schema.url;
    const server = new ServerProcess(port, dataDir, env, !opts.dataDir, schema);
    await server.launch();
    return server;
  }

  /** Kills the process with `signal` (default SIGKILL: no shutdown code runs) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  /** Starts the process again on the same port and data directory. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Graceful stop (SIGTERM), then the data directory is removed if this created it. */
  async stop(): Promise<void> {
    await this.kill("SIGTERM");
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
    await this.schema?.drop();
  }

  private async launch(): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", "server/server.ts"], {
      env: { ...process.env, LOG_LEVEL: "warn", ...this.env, PORT: String(this.port), HOST: "127.0.0.1", DATA_DIR: this.dataDir },
      stdio: ["ignore", "inherit", "inherit"],
    });
    this.child = child;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} while starting`);
      try {
        if ((await fetch(`${this.url}/api/health`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await this.kill();
    throw new Error("server did not answer /api/health within 30 s");
  }
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
