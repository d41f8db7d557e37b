/*
 * An async classic script of its own, first in <head> (vite.config.ts `bootScript`):
 * starts reading the first screen from IndexedDB while the app's scripts load (read.ts),
 * and paints the conversation list as the app last drew it once that read shows
 * nothing in it has changed (first-paint.ts). web/boot/snapshot.ts picks the read up.
 */
import { startBootRead } from "./read.js";
import { FIRST_PAINT_KEY, paintFor, parseSavedPaint, showPaint } from "./first-paint.js";
import { browserTags, intlLocale, resolveLanguage, savedLanguageChoice } from "../i18n/language.js";
import { folderStorageKey } from "../features/conversations/folder-key.js";
import { parseHash } from "../stores/route.js";
import type { BootSnapshot } from "./read.js";

try {
  const boot = startBootRead(localStorage, window.indexedDB);
  window.__courierBoot = boot;
  // Where a cold start stands (bench/suites/browser.ts reads the courier:* marks).
  void boot?.snapshot.then((snapshot) => {
    performance.mark(snapshot ? "courier:boot-read" : "courier:boot-read-none");
    if (snapshot) whenRootParsed(() => paint(boot.userId, snapshot));
  });
} catch {
  // Storage blocked: the app reads its data the usual way.
}

function paint(userId: string, snapshot: BootSnapshot): void {
  try {
    const root = document.getElementById("root");
    if (!root) return;
    const language = resolveLanguage(savedLanguageChoice(), browserTags());
    const saved = parseSavedPaint(localStorage.getItem(FIRST_PAINT_KEY));
    const context = {
      userId,
      snapshot,
      language,
      locale: intlLocale(language, browserTags()),
      folder: sessionStorage.getItem(folderStorageKey(userId)) ?? "",
      onList: parseHash(location.hash).name === "chats",
    };
    const painted = paintFor(saved, context);
    if (painted && showPaint(document, root, painted, Date.now())) performance.mark("courier:first-paint");
  } catch {
    // Anything amiss: the app draws the list as it always has.
  }
}

/** As soon as the parser has passed #root (not at DOMContentLoaded: that waits for the app's module scripts to run). */
function whenRootParsed(fn: () => void): void {
  if (document.getElementById("root")) fn();
  else document.addEventListener("DOMContentLoaded", fn, { once: true });
}
