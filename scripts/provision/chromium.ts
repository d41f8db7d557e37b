import { ensureAptBinary } from "./binary.js";

/**
 * The Chromium the e2e suite drives (Playwright cannot download its own here):
 * CHROMIUM_PATH if set, else Debian's /usr/bin/chromium, else (root with apt)
 * Debian's chromium package, installed now.
 */
export function ensureChromium(): Promise<string> {
  return ensureAptBinary({ name: "Chromium", env: "CHROMIUM_PATH", path: "/usr/bin/chromium", pkg: "chromium", neededFor: "npm test needs Chromium" });
}
