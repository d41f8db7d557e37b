import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import path from "node:path";
import { ensureFirefox, ensureWebKitDriver, ensureXvfb } from "./provision/browsers.js";
import { ensureChromium } from "./provision/chromium.js";
import { cleanupNow, onCleanup } from "./provision/cleanup.js";
import { startPostgres } from "./provision/postgres.js";
import { startRedis } from "./provision/redis.js";
import type { RunningService } from "./provision/service.js";
import { interruptChildren, Interrupted, log, ProvisionError, run, seconds } from "./provision/system.js";
import { stopStrays } from "./provision/strays.js";

/**
 * `npm test`: provisions what the tests need, runs the suite, stops what it
 * started.
 *
 *   node --import tsx scripts/test.ts                  check-types, lint, test:unit, test:e2e (stops at the first failure)
 *   node --import tsx scripts/test.ts -- <command…>    only <command>, in the same environment
 *   npm test -- <command…>                             the same through npm
 *
 * Provisions: Chromium (CHROMIUM_PATH), Firefox ESR (FIREFOX_PATH), WebKitGTK's
 * WebKitWebDriver (WEBKIT_DRIVER_PATH) and Xvfb (XVFB_PATH), a throwaway PostgreSQL
 * (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL), all exported to the children. A variable already set
 * is used as is. COURIER_TEST_TMP: a scratch folder for the e2e servers' data (playwright.config.ts),
 * removed at the end. Everything started is stopped on exit, failure, SIGINT,
 * SIGTERM and SIGHUP, also what the command left running in process groups
 * of its own (Playwright's webServers when Playwright was killed with its
 * group; provision/strays.ts). The exit code is the failing step's (or <command>'s);
 * 1 when provisioning fails (with one sentence saying what to install).
 */
const USAGE = "usage: node --import tsx scripts/test.ts [-- <command> [args…]]";

const STEPS: ReadonlyArray<readonly [string, ...string[]]> = [
  ["npm", "run", "check-types"],
  ["npm", "run", "lint"],
  ["npm", "run", "test:unit"],
  ["npm", "run", "test:e2e"],
];

interface ServiceSpec {
  name: string;
  /** The variable the tests read its URL from; when already set, that server is used and nothing starts. */
  env: string;
  start: () => Promise<RunningService>;
}

// Servers the tests reach through an environment variable.
const SERVICES: readonly ServiceSpec[] = [
  { name: "PostgreSQL", env: "TEST_DATABASE_URL", start: () => startPostgres() },
  { name: "Redis", env: "TEST_REDIS_URL", start: () => startRedis() },
];

async function main(argv: readonly string[]): Promise<number> {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  if (args[0] === "-h" || args[0] === "--help") {
    console.info(USAGE);
    return 0;
  }
  if (args[0]?.startsWith("-")) {
    console.error(`test: unknown option ${args[0]}; ${USAGE}`);
    return 2;
  }
  const [command, ...commandArgs] = args;
  const commands = command ? [[command, ...commandArgs] as const] : STEPS;

  const started = performance.now();
  process.env.CHROMIUM_PATH = await ensureChromium();
  // The cross-browser journeys (e2e/browsers/).
  process.env.FIREFOX_PATH = await ensureFirefox();
  process.env.WEBKIT_DRIVER_PATH = await ensureWebKitDriver();
  process.env.XVFB_PATH = await ensureXvfb();
  const running: RunningService[] = [];
  let leftovers: (() => void) | null = null;
  const scratch = mkdtempSync(path.join(tmpdir(), "courier-npm-test-"));
  onCleanup(() => rmSync(scratch, { recursive: true, force: true }));
  process.env.COURIER_TEST_TMP = scratch;
  try {
    for (const service of SERVICES) {
      if (process.env[service.env]) {
        log(`${service.env} is set: using that ${service.name}, starting none`);
        continue;
      }
      const instance = await service.start();
      running.push(instance);
      process.env[service.env] = instance.url;
    }
    const urls = SERVICES.map((s) => `${s.env}=${withoutPassword(process.env[s.env] ?? "")}`);
    log(`environment ready (${seconds(started)}): CHROMIUM_PATH=${process.env.CHROMIUM_PATH} FIREFOX_PATH=${process.env.FIREFOX_PATH} WEBKIT_DRIVER_PATH=${process.env.WEBKIT_DRIVER_PATH} ${urls.join(" ")}`);

    // Set only now, so the servers above do not carry it: every process the command starts does (provision/strays.ts).
    const runId = randomUUID();
    process.env.COURIER_TEST_RUN = runId;
    leftovers = () => stopStrays(`COURIER_TEST_RUN=${runId}`);
    // Registered last, so it runs first on an exit: what the command left running (Playwright's webServers) goes before the servers it used.
    onCleanup(leftovers);
    for (const [name, ...rest] of commands) {
      if (!command) log(`$ ${[name, ...rest].join(" ")}`);
      const { code } = await run(name, rest);
      if (code !== 0) return code;
    }
    return 0;
  } finally {
    leftovers?.();
    for (const service of running.reverse()) service.stop();
  }
}

/** A URL as printed: a password given in TEST_DATABASE_URL stays out of logs. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}

let stopping = false;
async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping the running command, then the test servers`);
  await interruptChildren(signal, 10_000);
  // The "exit" handler (provision/cleanup.ts) stops the servers and removes their dirs.
  process.exit(128 + (constants.signals[signal] ?? 0));
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, (s: NodeJS.Signals) => void onSignal(s));

main(process.argv.slice(2)).then(
  (code) => {
    if (!stopping) process.exit(code);
  },
  (error: unknown) => {
    // Interrupted: onSignal is already on its way out.
    if (error instanceof Interrupted || stopping) return;
    if (error instanceof ProvisionError) console.error(`test: ${error.message}`);
    else if ((error as NodeJS.ErrnoException).code === "ENOENT") console.error(`test: command not found: ${(error as NodeJS.ErrnoException).path ?? "?"}`);
    else console.error(error);
    cleanupNow();
    process.exit((error as NodeJS.ErrnoException).code === "ENOENT" ? 127 : 1);
  },
);
