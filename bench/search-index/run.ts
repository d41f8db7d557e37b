import "fake-indexeddb/auto";
import { build } from "esbuild";
import { launchChromium } from "../lib/chromium.js";
import { corpus } from "./corpus.js";
import { measureIndex, type IndexFigures } from "./measure.js";

/**
 * The local search index (issue 13) on `--n` messages (default 50,000):
 * index entries and bytes, the cost of writing with the index, the schema 3
 * upgrade and query times, in Node on fake-indexeddb and, with `--chromium`,
 * in Chromium on real IndexedDB (the same code, bundled with esbuild and run
 * in a page on a routed origin).
 *
 *   node --import tsx bench/search-index/run.ts [--n=50000] [--chromium | --chromium-only] [--json]
 */
const args = process.argv.slice(2);
const n = Number(args.find((a) => a.startsWith("--n="))?.slice(4) ?? 50_000);

function print(where: string, f: IndexFigures): void {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  console.info(`\n${where}: ${f.messages.toLocaleString("en")} messages, bodies ${mb(f.bodyBytes)}`);
  console.info(`  index entries ${f.entries.toLocaleString("en")} (${(f.entries / f.messages).toFixed(1)} per message), term keys ${mb(f.termBytes)}`);
  console.info(`  terms computed ${f.termsMs.toFixed(0)} ms (${((f.termsMs * 1000) / f.messages).toFixed(1)} µs per message)`);
  console.info(`  write in batches of 200: schema 2 ${f.writePlainMs.toFixed(0)} ms, schema 3 (indexed) ${f.writeIndexedMs.toFixed(0)} ms`);
  console.info(`  upgrade 2 → 3 of a database holding them: ${f.upgradeMs.toFixed(0)} ms, then the background backfill ${f.backfillMs.toFixed(0)} ms`);
  if (f.usagePlain !== undefined && f.usageIndexed !== undefined) console.info(`  storage: schema 2 ${mb(f.usagePlain)}, schema 3 ${mb(f.usageIndexed)}`);
  for (const q of f.queries) console.info(`  query ${JSON.stringify(q.q)}: ${q.results}${q.more ? "+" : ""} results, median ${q.medianMs.toFixed(1)} ms`);
}

async function inChromium(): Promise<IndexFigures> {
  const bundle = await build({ entryPoints: [new URL("./browser.ts", import.meta.url).pathname], bundle: true, write: false, format: "iife", platform: "browser", target: "es2022" });
  const script = bundle.outputFiles[0]!.text;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.route("http://bench.localhost/**", (route) =>
      route.request().url().endsWith("/bench.js")
        ? route.fulfill({ contentType: "text/javascript", body: script })
        : route.fulfill({ contentType: "text/html", body: '<!doctype html><script src="/bench.js"></script>' }),
    );
    await page.goto("http://bench.localhost/");
    return (await page.evaluate((count) => (globalThis as unknown as { benchSearchIndex(n: number): Promise<IndexFigures> }).benchSearchIndex(count), n)) as IndexFigures;
  } finally {
    await browser.close();
  }
}

// --chromium-only: fake-indexeddb's reverse cursors make the Node backfill of 50,000 rows take minutes.
const node = args.includes("--chromium-only") ? null : await measureIndex(corpus(n));
if (node) print(`Node ${process.version}, fake-indexeddb`, node);
const chromium = args.some((a) => a.startsWith("--chromium")) ? await inChromium() : null;
if (chromium) print("Chromium, IndexedDB", chromium);
if (args.includes("--json")) console.info(JSON.stringify({ n, node, chromium }));
