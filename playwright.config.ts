import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import type { CourierOptions } from "./e2e/fixtures.js";
import { E2E_ADMIN_TOKEN } from "./e2e/support/admin-token.js";

/**
 * The e2e suite runs against the real built SPA and the real server. It starts
 * its own servers with fresh data directories, unless E2E_BASE_URL points it
 * at a server you run yourself.
 *
 * Ports: each server binds a port the system chooses (PORT=0) and reports it
 * (server/server.ts prints LISTENING_LINE); Playwright reads it into
 * COURIER_E2E_PORT / COURIER_E2E_PG_PORT before the workers start, and the
 * workers, which load this file again, build their baseURL from it. Nothing
 * can take the port between a probe and the bind, and runs side by side never
 * meet. E2E_PORT (and E2E_PG_PORT, else E2E_PORT + 1) pins them instead.
 */
const pinned = (name: string) => (process.env[name] ? Number(process.env[name]) : null);
const port = pinned("E2E_PORT");
const pgPort = pinned("E2E_PG_PORT") ?? (port === null ? null : port + 1);
const external = process.env.E2E_BASE_URL;
const baseURL = external ?? `http://127.0.0.1:${port ?? process.env.COURIER_E2E_PORT ?? 0}`;
// The `postgres` project's server: the same app on PostgreSQL (a fresh schema in TEST_DATABASE_URL).
const pgBaseURL = external ?? `http://127.0.0.1:${pgPort ?? process.env.COURIER_E2E_PG_PORT ?? 0}`;
/**
 * A data folder for a server below. `npm test` gives a scratch folder it removes at the end (COURIER_TEST_TMP);
 * this file is loaded again by every worker, so without it each load would leave folders in the system's.
 */
const dataDir = (prefix: string) => mkdtempSync(join(process.env.COURIER_TEST_TMP ?? tmpdir(), prefix));

/** A pinned server is ready when its health answers; one on PORT=0 when it has said where it listens. */
const readiness = (pinnedPort: number | null, url: string, reportedAs: string) =>
  pinnedPort !== null ? { url: `${url}/api/health` } : { wait: { stdout: new RegExp(`Courier listening on http://127\\.0\\.0\\.1:(?<${reportedAs}>\\d+)`) } };

// NOTE: Playwright cannot download its own browser on this network; use a
// system Chromium (CHROMIUM_PATH, else Debian's /usr/bin/chromium). `npm test`
// provides one (scripts/provision/chromium.ts). Against an external server
// (E2E_BASE_URL) a missing one falls back to Playwright's own browser.
/**
 * The specs whose projects run them (fallback, chaos, push, cluster), kept out of
 * the per-transport projects. Matched on the file's name: Playwright tests the
 * absolute path, and a checkout under, say, /home/push/ must not lose every spec.
 */
const OWN_PROJECT = /[\\/](fallback|chaos|chaos-cluster|push|cluster)\.spec\.ts$/;
const systemChromium = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
if (process.env.CHROMIUM_PATH && !existsSync(process.env.CHROMIUM_PATH)) {
  throw new Error(`CHROMIUM_PATH is ${process.env.CHROMIUM_PATH}, which does not exist: point it at a Chromium binary or unset it.`);
}
if (!systemChromium && !external) {
  throw new Error("The e2e suite needs Chromium: run it through `npm test` (which installs Debian's chromium as root), apt-get install chromium, or set CHROMIUM_PATH.");
}

export default defineConfig<CourierOptions>({
  testDir: "e2e",
  // Specs only: e2e/browsers/*.test.ts are the Firefox and WebKit journeys, which Vitest runs (npm run test:browsers).
  testMatch: "**/*.spec.ts",
  // A journey (two or three pages, sign-ups, sends) takes 40–55 s on a 2-core machine running two workers (CI, 2026-12-04):
  // 90 s leaves room; every step still has its own 5 s expect timeout.
  timeout: 90_000,
  expect: { timeout: 5_000 },
  fullyParallel: true,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    // The journeys read English; a Chinese journey asks for zh-CN itself (e2e/i18n.spec.ts). Not the machine's LANG.
    locale: "en-US",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: systemChromium,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  // The chat journeys run once per forced transport; fallback specs let the app
  // choose; the chaos spec mixes transports itself against a server it starts
  // (and kills); its cluster run (chaos-cluster.spec.ts) does the same with several processes.
  // `npm run test:e2e` runs auto, chaos and cluster on one worker.
  projects: [
    { name: "ws", testIgnore: OWN_PROJECT, use: { browserName: "chromium", transport: "ws" } },
    { name: "sse", testIgnore: OWN_PROJECT, use: { browserName: "chromium", transport: "sse" } },
    { name: "poll", testIgnore: OWN_PROJECT, use: { browserName: "chromium", transport: "poll" } },
    { name: "auto", testMatch: /fallback\.spec\.ts/, use: { browserName: "chromium", transport: "auto" } },
    { name: "chaos", testMatch: /chaos(-cluster)?\.spec\.ts/, use: { browserName: "chromium" } },
    { name: "push", testMatch: /push\.spec\.ts/, use: { browserName: "chromium", transport: "ws" } },
    // The chat journeys once more against a server on PostgreSQL: what works on one engine works on both.
    { name: "postgres", testMatch: /chat\.spec\.ts/, use: { browserName: "chromium", transport: "ws", baseURL: pgBaseURL } },
    // Two processes on PostgreSQL + Redis behind a test balancer, started by the spec (e2e/support/cluster.ts), not the webServers below.
    { name: "cluster", testMatch: /\/cluster\.spec\.ts$/, use: { browserName: "chromium", transport: "ws" } },
  ],
  // Both servers start for any project (Playwright starts every webServer); the PostgreSQL one
  // needs TEST_DATABASE_URL, which `npm test` provides (`npm test -- npx playwright test …` for one project).
  webServer: external
    ? undefined
    : [
        {
          command: "node --import tsx server/server.ts",
          ...readiness(port, baseURL, "courier_e2e_port"),
          reuseExistingServer: false,
          timeout: 60_000,
          // ADMIN_TOKEN: the admin dashboard's spec (e2e/admin-dashboard.spec.ts) signs in with it.
          env: { PORT: String(port ?? 0), HOST: "127.0.0.1", DATA_DIR: dataDir("courier-e2e-"), LOG_LEVEL: "warn", ADMIN_TOKEN: E2E_ADMIN_TOKEN },
        },
        {
          command: "node --import tsx e2e/support/postgres-server.ts",
          ...readiness(pgPort, pgBaseURL, "courier_e2e_pg_port"),
          reuseExistingServer: false,
          timeout: 60_000,
          env: { PORT: String(pgPort ?? 0), HOST: "127.0.0.1", DATA_DIR: dataDir("courier-e2e-pg-"), LOG_LEVEL: "warn" },
        },
      ],
});
