/*
 * A classic script of its own, inline at the top of <head> (vite.config.ts `bootScript`):
 * starts reading the first screen from IndexedDB while the app's scripts load (read.ts),
 * and shows the conversation list as the app last drew it (first-paint.ts, docs/first-paint.md):
 * at once when no write has been stamped since it was saved, checked against the read's digest
 * when that arrives (withdrawn if it does not agree); otherwise only once the read agrees.
 * web/boot/snapshot.ts picks the read up.
 */
import { startBootRead } from "./read.js";
import { FIRST_PAINT_ID, FIRST_PAINT_KEY, LIST_STAMP_KEY, drawnFrom, paintFor, parseSavedPaint, showPaint, type SavedPaint } from "./first-paint.js";
import { browserTags, intlLocale, resolveLanguage, savedLanguageChoice } from "../i18n/language.js";
import { folderStorageKey, rememberedFolder } from "../features/conversations/folder-key.js";
import { parseHash } from "../stores/route.js";

/**
 * Runs last (see the end of this file), after every declaration below: had
 * it run first, a copy shown at once would have used them unset (the 10 s
 * timer's constant, once, when this script was async and ran after #root).
 */
function start(): void {
  // Where a cold start stands (bench/suites/browser.ts reads the courier:* marks): the script begins, and has read
  // what it needs of localStorage (a renderer's first access loads the origin's storage from the browser process).
  performance.mark("courier:boot-start");
  try {
    const boot = startBootRead(localStorage, window.indexedDB);
    window.__courierBoot = boot;
    if (boot) {
      const paint = savedPaint(boot.userId);
      performance.mark("courier:boot-stored");
      // Nothing written since it was saved: shown now, before IndexedDB has opened.
      const early = paint !== null && paint.stamp === (localStorage.getItem(LIST_STAMP_KEY) ?? "");
      // Set once the read disagrees: a paint not yet up is never put up.
      let stale = false;
      const showIfCurrent = () => stale || (paint !== null && show(paint));
      if (early) whenRootParsed(showIfCurrent);
      void boot.snapshot.then((snapshot) => {
        performance.mark(snapshot ? "courier:boot-read" : "courier:boot-read-none");
        if (!paint) return;
        stale = snapshot === null || !drawnFrom(paint, snapshot);
        if (stale) withdraw();
        else if (!early) whenRootParsed(showIfCurrent);
      });
    }
  } catch {
    // Storage blocked: the app reads its data the usual way.
  }
}

/** The saved paint, if it was drawn for this user, language, folder and route. */
function savedPaint(userId: string): SavedPaint | null {
  const language = resolveLanguage(savedLanguageChoice(), browserTags());
  return paintFor(parseSavedPaint(localStorage.getItem(FIRST_PAINT_KEY)), {
    userId,
    language,
    locale: intlLocale(language, browserTags()),
    folder: rememberedFolder(sessionStorage.getItem(folderStorageKey(userId))),
    onList: parseHash(location.hash).name === "chats",
  });
}

/** The app gives up the copy when it draws (App, the list); this is for when it never does. */
const LAST_RESORT_MS = 10_000;

function show(paint: SavedPaint): boolean {
  try {
    const root = document.getElementById("root");
    if (!root || !showPaint(document, root, paint, Date.now())) return false;
    performance.mark("courier:first-paint");
    // The app's script failed to load, or threw before it drew: an inert copy must not stand in for it.
    const failed = (event: Event) => {
      if ((event instanceof ErrorEvent || event.target instanceof HTMLScriptElement) && !root.hasChildNodes()) withdraw();
    };
    window.addEventListener("error", failed, true);
    setTimeout(() => {
      window.removeEventListener("error", failed, true);
      withdraw();
    }, LAST_RESORT_MS);
    return true;
  } catch {
    // Anything amiss: the app draws the list as it always has.
    return false;
  }
}

/** Shown early, but the data it was drawn from is not what is stored (a write the page did not live to draw). */
function withdraw(): void {
  const shown = document.getElementById(FIRST_PAINT_ID);
  if (!shown) return;
  shown.remove();
  performance.mark("courier:first-paint-withdrawn");
}

/**
 * As soon as the parser has passed #root. Not at DOMContentLoaded: that waits
 * for the app's module scripts to have run, which is what this is ahead of.
 */
function whenRootParsed(fn: () => void): void {
  if (document.getElementById("root")) return fn();
  const observer = new MutationObserver(() => {
    if (!document.getElementById("root")) return;
    observer.disconnect();
    fn();
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
}

start();
