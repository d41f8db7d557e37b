import { corpus } from "./corpus.js";
import { measureIndex } from "./measure.js";

/** Bundled for Chromium by bench/search-index/run.ts: the same measurement on real IndexedDB. */
(globalThis as unknown as { benchSearchIndex(n: number): Promise<unknown> }).benchSearchIndex = (n: number) =>
  measureIndex(corpus(n), { usage: async () => (await navigator.storage.estimate()).usage ?? 0 });
