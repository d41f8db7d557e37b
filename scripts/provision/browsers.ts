import { ensureAptBinary } from "./binary.js";

/**
 * The other browsers of the cross-browser journeys (e2e/browsers/), each
 * from Debian like Chromium: the variable if set, else Debian's path, else
 * (root with apt) the package, installed now.
 */

/** Firefox ESR, driven by puppeteer-core over WebDriver BiDi: FIREFOX_PATH, else Debian's firefox-esr. */
export function ensureFirefox(): Promise<string> {
  return ensureAptBinary({
    name: "Firefox ESR",
    env: "FIREFOX_PATH",
    path: "/usr/bin/firefox-esr",
    pkg: "firefox-esr",
    neededFor: "npm test needs Firefox ESR for the cross-browser journeys",
  });
}

/** WebKitGTK's WebDriver server (it starts WebKitGTK's MiniBrowser): WEBKIT_DRIVER_PATH, else Debian's webkit2gtk-driver. */
export function ensureWebKitDriver(): Promise<string> {
  return ensureAptBinary({
    name: "WebKitWebDriver",
    env: "WEBKIT_DRIVER_PATH",
    path: "/usr/bin/WebKitWebDriver",
    pkg: "webkit2gtk-driver",
    neededFor: "npm test needs WebKitGTK's WebKitWebDriver for the cross-browser journeys",
  });
}

/** The virtual X server WebKitGTK runs in (it has no headless mode): XVFB_PATH, else Debian's xvfb. */
export function ensureXvfb(): Promise<string> {
  return ensureAptBinary({
    name: "Xvfb",
    env: "XVFB_PATH",
    path: "/usr/bin/Xvfb",
    pkg: "xvfb",
    neededFor: "npm test needs Xvfb to run WebKitGTK for the cross-browser journeys",
  });
}
