import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { createTestSchema, testEngine, type TestSchema } from "./engines.js";

/** What server/server.ts prints once it listens on a port the system chose (PORT=0). */
export const LISTENING_LINE = /^Courier listening on http:\/\/[^\s]+:(\d+)$/;

/**
 * The real server in a child process (`node --import tsx server/server.ts`)
 * on 127.0.0.1, for tests and benchmarks that must kill it: SIGKILL and a
 * restart on the same port and data directory, as a crash and a supervisor
 * restart would do. Run from the repository root.
 */
export class ServerProcess {
  private child: ChildProcess | null = null;

  private constructor(
    /** 0 until the first start has bound the port the system chose. */
    private boundPort: number,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly ownsDataDir: boolean,
    /** The PostgreSQL schema it made for itself (server tests on PostgreSQL), dropped by stop(). */
    private readonly schema: TestSchema | null,
  ) {}

  /** The port it listens on; a restart binds the same one again. */
  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts a server on a port the system chooses (bound by the child itself,
   * PORT=0, and read back from its LISTENING_LINE: no window in which another
   * process can take it) or on `port`, with a fresh data directory (or
   * `dataDir`); in server tests on PostgreSQL, with a fresh schema unless
   * `env` names a DATABASE_URL.
   */
  static async start(opts: { port?: number; dataDir?: string; env?: Record<string, string> } = {}): Promise<ServerProcess> {
    const port = opts.port ?? 0;
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
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.child = child;
    // Read on every launch (an unread pipe would block the child once full); awaited on the first, when the system picks the port.
    const reported = listeningPort(child);
    reported.catch(() => undefined);
    if (this.port === 0) {
      try {
        this.boundPort = await reported;
      } catch (err) {
        await this.kill();
        throw err;
      }
    }
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

/**
 * Passes the child's output on to ours, line by line, and resolves with the
 * port it reports (LISTENING_LINE) when started with PORT=0.
 */
function listeningPort(child: ChildProcess, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not report its port within ${timeoutMs / 1000} s`)), timeoutMs).unref();
    const exited = (code: number | null) => reject(new Error(`server exited with code ${code} before listening`));
    child.once("exit", exited);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      process.stdout.write(`${line}\n`);
      const m = LISTENING_LINE.exec(line);
      if (!m) return;
      clearTimeout(timer);
      child.off("exit", exited);
      resolve(Number(m[1]));
    });
  });
}

/**
 * A port nothing listens on right now (the OS picks it). It is free only
 * until someone binds it: prefer letting the process that listens bind port 0
 * and report it (ServerProcess does). For tests that need a port where
 * nothing answers.
 */
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
