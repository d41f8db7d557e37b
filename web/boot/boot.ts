/*
 * An async classic script of its own, first in <head> (vite.config.ts `bootScript`):
 * starts reading the first screen from IndexedDB while the app's scripts load (read.ts).
 * web/boot/snapshot.ts picks the result up.
 */
import { startBootRead } from "./read.js";

try {
  const boot = startBootRead(localStorage, window.indexedDB);
  window.__courierBoot = boot;
  // Where a cold start stands (bench/suites/browser.ts reads the courier:* marks).
  void boot?.snapshot.then((snapshot) => performance.mark(snapshot ? "courier:boot-read" : "courier:boot-read-none"));
} catch {
  // Storage blocked: the app reads its data the usual way.
}
