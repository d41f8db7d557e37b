import { spawn, spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptInstall, installsAllowed } from "./apt.js";
import { stopper } from "./cleanup.js";
import { freePort } from "./ports.js";
import type { RunningService } from "./service.js";
import { isAlive, isExecutable, isRoot, lastLine, log, ProvisionError, seconds, waitGoneSync, which } from "./system.js";

/** The nginx configuration shipped for deployments; the tests and `npm run cluster` run this very file. */
export const COURIER_CONF = fileURLToPath(new URL("../../deploy/nginx/courier.conf", import.meta.url));

const DEBIAN_NGINX = "/usr/sbin/nginx";

const MISSING = "this needs nginx: install Debian's nginx-light package (apt-get install nginx-light) or set TEST_NGINX_BIN to an nginx binary.";

/** TEST_NGINX_BIN, else nginx on PATH, else Debian's /usr/sbin/nginx (not on a normal user's PATH). */
export function findNginx(): string | undefined {
  const configured = process.env.TEST_NGINX_BIN;
  if (configured) {
    if (!isExecutable(configured)) throw new ProvisionError(`TEST_NGINX_BIN is ${configured}, which is not an executable file: point it at nginx or unset it.`);
    return configured;
  }
  return which("nginx") ?? (isExecutable(DEBIAN_NGINX) ? DEBIAN_NGINX : undefined);
}

/** Whether ensureNginx() can succeed here: nginx is there, or it may be installed. A TEST_NGINX_BIN counts (a wrong one fails loudly). */
export function nginxAvailable(): boolean {
  return Boolean(process.env.TEST_NGINX_BIN) || findNginx() !== undefined || installsAllowed();
}

/**
 * findNginx(), else (root with apt) Debian's nginx-light installed now (on
 * Debian 12 a transitional package that brings `nginx`; plain `nginx` is
 * tried when it does not exist). The package's own site is not used; on a
 * machine with systemd its postinst may start the system nginx on port 80.
 */
export async function ensureNginx(): Promise<string> {
  const found = findNginx();
  if (found) return found;
  if (!installsAllowed()) throw new ProvisionError(MISSING);
  const started = performance.now();
  log("nginx not found: installing Debian's nginx-light package (apt-get install nginx-light)…");
  try {
    await aptInstall(["nginx-light"], { recommends: false });
  } catch (error) {
    if (!(error instanceof ProvisionError)) throw error;
    log(`${error.message}; trying Debian's nginx package instead`);
    await aptInstall(["nginx"], { recommends: false });
  }
  const installed = findNginx();
  if (!installed) throw new ProvisionError(`apt-get installed nginx but there is no ${DEBIAN_NGINX}: set TEST_NGINX_BIN.`);
  log(`installed nginx (${seconds(started)})`);
  return installed;
}

export interface CourierSite {
  /** What nginx listens on, e.g. `127.0.0.1:8080`. */
  listen: string;
  /** The Courier processes, `host:port` each. */
  upstreams: readonly string[];
  accessLog: string;
}

/**
 * deploy/nginx/courier.conf with its example values replaced: the upstream's
 * `server` lines (one per process, with the parameters of the first one), the
 * `listen 80;` line and the access_log path. Everything else is used as
 * shipped. Throws when the file no longer has exactly one of each.
 */
export function renderCourierConf(template: string, site: CourierSite): string {
  if (site.upstreams.length === 0) throw new Error("renderCourierConf: no upstreams");
  const block = /^(upstream courier \{\n)([\s\S]*?)^\}/m.exec(template);
  if (!block) throw new Error(`${COURIER_CONF} has no "upstream courier {" block: update renderCourierConf()`);
  const serverLine = /^([ \t]*)server[ \t]+\S+([^;\n]*);\n/gm;
  const servers = [...block[2]!.matchAll(serverLine)];
  const first = servers[0];
  if (!first) throw new Error(`${COURIER_CONF}: the upstream has no server lines: update renderCourierConf()`);
  const generated = site.upstreams.map((address) => `${first[1]}server ${address}${first[2]};\n`).join("");
  let seen = 0;
  const body = block[2]!.replace(serverLine, () => (seen++ === 0 ? generated : ""));
  let out = template.slice(0, block.index) + block[1] + body + template.slice(block.index + block[1]!.length + block[2]!.length);
  out = replaceOnce(out, /^([ \t]*)listen 80;$/m, (indent) => `${indent}listen ${site.listen};`, "listen 80;");
  out = replaceOnce(out, /^([ \t]*)access_log \S+ courier;$/m, (indent) => `${indent}access_log ${site.accessLog} courier;`, "access_log … courier;");
  return out;
}

function replaceOnce(text: string, pattern: RegExp, make: (indent: string) => string, what: string): string {
  const global = new RegExp(pattern.source, `${pattern.flags}g`);
  const count = [...text.matchAll(global)].length;
  if (count !== 1) throw new Error(`${COURIER_CONF} has ${count} uncommented "${what}" lines, not one: update renderCourierConf()`);
  return text.replace(pattern, (_match, indent: string) => make(indent));
}

/** Temp-path directives for the modules this nginx has; each would otherwise point at /var/lib/nginx, which it creates at startup. */
function tempPaths(binary: string, dir: string): string[] {
  const built = spawnSync(binary, ["-V"], { encoding: "utf8" });
  const flags = `${built.stdout}${built.stderr}`;
  const paths = ["client_body", "proxy"];
  for (const module of ["fastcgi", "uwsgi", "scgi"]) {
    if (!flags.includes(`--without-http_${module}_module`)) paths.push(module);
  }
  return paths.map((name) => `${name}_temp_path ${join(dir, `${name}_temp`)};`);
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => done(true));
  });
}

export interface StartNginxOptions {
  /** The Courier processes, `host:port` each. */
  upstreams: readonly string[];
  /** Port on 127.0.0.1; default: a free one. A given port that is taken fails the start. */
  port?: number;
  binary?: string;
}

export interface RunningNginx extends RunningService {
  port: number;
  /** The master process (the group leader of its workers). */
  pid: number;
  /** One line per request in deploy/nginx/courier.conf's `courier` format (with the upstream that answered). */
  accessLog: string;
  /** nginx's own error log (its stderr). */
  errorLog: string;
}

/**
 * Starts nginx in front of `upstreams` with deploy/nginx/courier.conf,
 * listening on 127.0.0.1, everything it writes (config, pid, logs, temp
 * files) in a temp dir: `nginx -p <dir> -c <dir>/nginx.conf -g 'daemon off;
 * pid …; error_log stderr;'`, as the current user (as root its workers run
 * as nginx's default unprivileged user). stop() (also run at process exit)
 * ends it by PID and removes the dir.
 */
export async function startNginx(options: StartNginxOptions): Promise<RunningNginx> {
  const binary = options.binary ?? (await ensureNginx());
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "courier-nginx-"));
  // As root the workers run unprivileged and must reach their temp dirs in here.
  if (isRoot()) chmodSync(dir, 0o755);
  const conf = join(dir, "nginx.conf");
  const accessLog = join(dir, "access.log");
  const errorLog = join(dir, "error.log");
  const template = readFileSync(COURIER_CONF, "utf8");
  let pid: number | undefined;

  const stop = stopper("nginx", dir, () => {
    if (pid !== undefined) stopGroup(pid);
  });

  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const site = renderCourierConf(template, { listen: `127.0.0.1:${port}`, upstreams: options.upstreams, accessLog });
      writeFileSync(join(dir, "courier.conf"), site);
      writeFileSync(
        conf,
        [
          "# Generated by scripts/provision/nginx.ts around deploy/nginx/courier.conf.",
          "worker_processes 1;",
          "events { worker_connections 1024; }",
          "http {",
          ...tempPaths(binary, dir).map((line) => `    ${line}`),
          `    access_log ${accessLog};`,
          `    include ${join(dir, "courier.conf")};`,
          "}",
          "",
        ].join("\n"),
      );
      const out = openSync(errorLog, "a");
      const globals = `daemon off; master_process on; pid ${join(dir, "nginx.pid")}; error_log stderr;`;
      // detached: its own process group (master and workers), out of reach of a
      // terminal Ctrl-C; we stop it by PID.
      const child = spawn(binary, ["-p", `${dir}/`, "-c", conf, "-g", globals], { cwd: dir, detached: true, stdio: ["ignore", out, out] });
      closeSync(out);
      child.unref();
      pid = child.pid;
      let exited = false;
      child.once("exit", () => (exited = true));
      child.once("error", () => (exited = true));
      const deadline = Date.now() + 10_000;
      while (!exited && Date.now() < deadline && !(await accepts(port))) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!exited && (await accepts(port))) {
        log(`nginx at http://127.0.0.1:${port} in front of ${options.upstreams.join(", ")} (${seconds(started)})`);
        return { url: `http://127.0.0.1:${port}`, port, pid: pid!, accessLog, errorLog, stop };
      }
      const nginxLog = existsSync(errorLog) ? readFileSync(errorLog, "utf8") : "";
      if (pid !== undefined) stopGroup(pid);
      pid = undefined;
      if (options.port === undefined && attempt < 3 && /address already in use/i.test(nginxLog)) continue;
      throw new ProvisionError(`nginx did not start: ${lastLine(nginxLog || "it exited without a word")}`);
    }
  } catch (error) {
    stop();
    throw error;
  }
}

/** SIGTERM to the master (fast shutdown; it ends its workers), then SIGKILL to what is left of its process group. */
function stopGroup(pid: number): void {
  if (isAlive(pid)) {
    process.kill(pid, "SIGTERM");
    waitGoneSync(pid, 5_000);
  }
  try {
    // Workers of a master that had to be killed, or that died on its own.
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nothing of the group is left.
  }
}
