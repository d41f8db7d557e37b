import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import type { CourierOptions } from "./e2e/fixtures.js";

/**
 * The e2e suite runs against the real built SPA and the real server. It starts
 * its own server on E2E_PORT with a fresh data directory, unless E2E_BASE_URL
 * points it at a server you run yourself.
 */
const port = Number(process.env.E2E_PORT ?? 3210);
const external = process.env.E2E_BASE_URL;
const baseURL = external ?? `http://127.0.0.1:${port}`;

// NOTE: Playwright cannot download its own browser on this network; prefer a
// system Chromium (CHROMIUM_PATH, else Debian's /usr/bin/chromium).
const systemChromium = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

export default defineConfig<CourierOptions>({
  testDir: "e2e",
  timeout: 60_000,
  expect: { timeout: 5_000 },
  fullyParallel: true,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: systemChromium,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  // The chat journeys run once per forced transport; fallback specs let the app
  // choose; the chaos spec mixes transports itself against a server it starts
  // (and kills). `npm run test:e2e` runs auto and chaos on one worker.
  projects: [
    { name: "ws", testIgnore: /fallback|chaos|push/, use: { browserName: "chromium", transport: "ws" } },
    { name: "sse", testIgnore: /fallback|chaos|push/, use: { browserName: "chromium", transport: "sse" } },
    { name: "poll", testIgnore: /fallback|chaos|push/, use: { browserName: "chromium", transport: "poll" } },
    { name: "auto", testMatch: /fallback\.spec\.ts/, use: { browserName: "chromium", transport: "auto" } },
    { name: "chaos", testMatch: /chaos\.spec\.ts/, use: { browserName: "chromium" } },
    { name: "push", testMatch: /push\.spec\.ts/, use: { browserName: "chromium", transport: "ws" } },
  ],
  webServer: external
    ? undefined
    : {
        command: "node --import tsx server/server.ts",
        url: `${baseURL}/api/health`,
        reuseExistingServer: false,
        timeout: 60_000,
        env: {
          PORT: String(port),
          HOST: "127.0.0.1",
          DATA_DIR: mkdtempSync(join(tmpdir(), "courier-e2e-")),
          LOG_LEVEL: "warn",
        },
      },
});
