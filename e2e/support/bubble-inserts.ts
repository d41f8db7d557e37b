import type { Page } from "@playwright/test";

/**
 * Counts how often each message bubble is put into the page (by seq) and
 * when the last one was: "rendered once each" and receive-to-screen, for the
 * shuffled stress in the chaos suite and the benchmark. Call before the page
 * loads (it is an init script).
 */
export async function watchBubbleInserts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const inserted: Record<string, number> = {};
    const lastAt = { t: 0 };
    Object.assign(window, { __inserted: inserted, __lastInsert: lastAt });
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!(node instanceof HTMLElement)) continue;
          const bubbles = node.matches('[data-testid="message"]') ? [node] : [...node.querySelectorAll<HTMLElement>('[data-testid="message"]')];
          for (const bubble of bubbles) {
            const key = bubble.getAttribute("data-seq") ?? bubble.textContent ?? "";
            inserted[key] = (inserted[key] ?? 0) + 1;
            lastAt.t = performance.now();
          }
        }
      }
    }).observe(document, { subtree: true, childList: true });
  });
}

/** The sync engine's counters with what watchBubbleInserts saw, read together. */
export function statsAndInserts(page: Page) {
  return page.evaluate(() => ({
    stats: window.__courier!.engineStats(),
    inserted: (window as unknown as { __inserted: Record<string, number> }).__inserted,
    lastInsert: (window as unknown as { __lastInsert: { t: number } }).__lastInsert.t,
  }));
}
