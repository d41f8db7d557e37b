import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aptInstall, installsAllowed } from "./apt.js";
import { stopper } from "./cleanup.js";
import { freePort } from "./ports.js";
import type { RunningService } from "./service.js";
import { isAlive, isExecutable, lastLine, log, ProvisionError, seconds, waitGoneSync, which } from "./system.js";

const MISSING = "this needs redis-server: install Debian's redis-server package (apt-get install redis-server), set TEST_REDIS_BIN, or set TEST_REDIS_URL.";

/** TEST_REDIS_BIN, else redis-server on PATH, else (root with apt) Debian's redis-server package installed now. */
export async function ensureRedisServer(): Promise<string> {
  const configured = process.env.TEST_REDIS_BIN;
  if (configured) {
    if (!isExecutable(configured)) throw new ProvisionError(`TEST_REDIS_BIN is ${configured}, which is not an executable file: point it at redis-server or unset it.`);
    return configured;
  }
  const found = which("redis-server") ?? (isExecutable("/usr/bin/redis-server") ? "/usr/bin/redis-server" : undefined);
  if (found) return found;
  if (!installsAllowed()) throw new ProvisionError(MISSING);
  const started = performance.now();
  log("redis-server not found: installing Debian's redis-server package (apt-get install redis-server)…");
  await aptInstall(["redis-server"], { recommends: false });
  if (!isExecutable("/usr/bin/redis-server")) throw new ProvisionError("apt-get installed redis-server but there is no /usr/bin/redis-server: set TEST_REDIS_BIN.");
  log(`installed redis-server (${seconds(started)})`);
  return "/usr/bin/redis-server";
}

/** Whether a Redis answers PING on 127.0.0.1:port. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

/**
 * Starts a throwaway redis-server on a free 127.0.0.1 port, without
 * persistence (`--save '' --appendonly no`), its files in a temp dir.
 * stop() (also run at process exit) ends it by PID and removes the dir.
 */
export async function startRedis(options: { binary?: string; port?: number } = {}): Promise<RunningService> {
  const binary = options.binary ?? (await ensureRedisServer());
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "courier-redis-"));
  const logFile = join(dir, "log");
  let pid: number | undefined;

  const stop = stopper("redis-server", dir, () => halt());

  /** Starts redis-server on `port`; resolves once it answers PING, or throws with its last log line. */
  const launch = async (port: number): Promise<void> => {
    const out = openSync(logFile, "a");
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
    // detached: its own session, out of reach of a terminal Ctrl-C; we stop it by PID.
    const child = spawn(binary, args, { cwd: dir, detached: true, stdio: ["ignore", out, out] });
    closeSync(out);
    child.unref();
    pid = child.pid;
    let exited = false;
    child.once("exit", () => (exited = true));
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline && !(await ping(port))) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!exited && (await ping(port))) return;
    if (!exited && pid !== undefined) process.kill(pid, "SIGKILL");
    throw new ProvisionError(`redis-server did not start: ${lastLine(readFileSync(logFile, "utf8"))}`);
  };
  const halt = (): void => {
    if (pid !== undefined && isAlive(pid)) {
      process.kill(pid, "SIGTERM");
      if (!waitGoneSync(pid, 5_000)) process.kill(pid, "SIGKILL");
    }
  };

  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      try {
        await launch(port);
      } catch (error) {
        if (options.port === undefined && attempt < 3 && /address already in use/i.test(readFileSync(logFile, "utf8"))) continue;
        throw error;
      }
      const url = `redis://127.0.0.1:${port}`;
      log(`redis-server at ${url} (${seconds(started)})`);
      // pause: the server goes away (connections refused); resume: a new one, empty, on the same port — a Redis restart.
      return { url, stop, pause: async () => halt(), resume: () => launch(port) };
    }
  } catch (error) {
    stop();
    throw error;
  }
}
