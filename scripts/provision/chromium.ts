import { aptInstall, installsAllowed } from "./apt.js";
import { isExecutable, log, ProvisionError, seconds } from "./system.js";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

const MISSING = "npm test needs Chromium: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH.";

/**
 * The Chromium the e2e suite drives (Playwright cannot download its own here):
 * CHROMIUM_PATH if set, else Debian's /usr/bin/chromium, else (root with apt)
 * Debian's chromium package, installed now.
 */
export async function ensureChromium(): Promise<string> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!isExecutable(configured)) {
      throw new ProvisionError(`CHROMIUM_PATH is ${configured}, which is not an executable file: point it at a Chromium binary or unset it.`);
    }
    return configured;
  }
  if (isExecutable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  if (!installsAllowed()) throw new ProvisionError(MISSING);
  const started = performance.now();
  log("Chromium not found: installing Debian's chromium package (apt-get install chromium)…");
  await aptInstall(["chromium"]);
  if (!isExecutable(DEBIAN_CHROMIUM)) throw new ProvisionError(`apt-get installed chromium but there is no ${DEBIAN_CHROMIUM}: set CHROMIUM_PATH.`);
  log(`installed Chromium (${seconds(started)})`);
  return DEBIAN_CHROMIUM;
}
