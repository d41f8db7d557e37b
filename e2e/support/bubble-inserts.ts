import type { Page } from "@playwright/test";

/**
 * Counts how often each message bubble is put into the page (by seq) and
 * when the last one was: "rendered once each" and receive-to-screen, for the
 * shuffled stress in the chaos suite and the benchmark. Call before the page
 * loads (it is an init script).
 *
 * `inserted` counts every insertion, a move of the same node included (a
 * MutationObserver reports React moving a keyed node as a removal and an
 * insertion); `mounted` counts the distinct nodes a message had: more than
 * one is a re-mount, which a user sees (a flicker; selection, focus and
 * images lost). `misordered` holds the seqs on screen whenever, after any
 * mutation, they were not consecutive: a message shown before an older one,
 * twice, or with one missing between them.
 */
export async function watchBubbleInserts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const inserted: Record<string, number> = {};
    const mounted: Record<string, number> = {};
    const misordered: number[][] = [];
    const seen = new WeakSet<Node>();
    const lastAt = { t: 0 };
    Object.assign(window, { __inserted: inserted, __mounted: mounted, __misordered: misordered, __lastInsert: lastAt });
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!(node instanceof HTMLElement)) continue;
          const bubbles = node.matches('[data-testid="message"]') ? [node] : [...node.querySelectorAll<HTMLElement>('[data-testid="message"]')];
          for (const bubble of bubbles) {
            const key = bubble.getAttribute("data-seq") ?? bubble.textContent ?? "";
            inserted[key] = (inserted[key] ?? 0) + 1;
            if (!seen.has(bubble)) {
              seen.add(bubble);
              mounted[key] = (mounted[key] ?? 0) + 1;
            }
            lastAt.t = performance.now();
          }
        }
      }
      // What the user sees once this batch of mutations is done (a React commit is one).
      const seqs = [...document.querySelectorAll('[data-testid="message"][data-seq]')].map((e) => Number(e.getAttribute("data-seq")));
      if (seqs.some((seq, i) => i > 0 && seq !== seqs[i - 1]! + 1)) misordered.push(seqs);
    }).observe(document, { subtree: true, childList: true });
  });
}

/** The sync engine's counters with what watchBubbleInserts saw, read together. */
export function statsAndInserts(page: Page) {
  return page.evaluate(() => {
    const seen = window as unknown as { __inserted: Record<string, number>; __mounted: Record<string, number>; __misordered: number[][]; __lastInsert: { t: number } };
    return {
      stats: window.__courier!.engineStats(),
      inserted: seen.__inserted,
      mounted: seen.__mounted,
      misordered: seen.__misordered,
      lastInsert: seen.__lastInsert.t,
    };
  });
}
