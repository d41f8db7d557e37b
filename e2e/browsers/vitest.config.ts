import { defineConfig } from "vitest/config";

/**
 * The cross-browser journeys (`npm run test:browsers`, part of `test:e2e`):
 * Firefox ESR and WebKitGTK beside Chromium, against the built app (run
 * `npm run build` first) on servers the files start themselves. A Vitest run
 * of its own, not a project of vitest.config.ts (whose `test:unit` must not
 * need browsers) nor of playwright.config.ts (Playwright cannot drive these
 * two browsers here). One file at a time: each runs two browsers, and the
 * machine has two cores. Its steps wait up to 15 s each (driver.ts).
 */
export default defineConfig({
  test: {
    name: "browsers",
    root: new URL("../..", import.meta.url).pathname,
    include: ["e2e/browsers/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
