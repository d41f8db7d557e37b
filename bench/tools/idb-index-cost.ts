// What one IndexedDB index costs a message write in Chromium (issue 16, catch-up): `node --import tsx bench/tools/idb-index-cost.ts [variant…]`.
// A variant names the indexes of a `messages` store shaped like web/db/database.ts: cs ([conversationId+seq]), cmid (clientMsgId),
// terms (*terms, three keys a row as the search index makes for "Missed 0-123"), at; "none" for none; "seqid" for ascending ids
// instead of random ones; "strict" / "relaxed" for transactions of that durability (else the browser's default). Each variant
// writes BATCHES readwrite transactions of PUTS (500) puts into a fresh database and prints the mean time of the first and the
// last five, and the total.
// CHROMIUM_FLAGS="--enable-features=…": extra flags; PERSISTENT=1: a profile on disk (the app's users) instead of the
// off-the-record context the bench's pages get (IndexedDB in memory).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "@playwright/test";
import { chromiumArgs, chromiumPath } from "../lib/chromium.js";

const BATCHES = Number(process.env.BATCHES ?? 40);
const PUTS = Number(process.env.PUTS ?? 500);
const variants = process.argv.slice(2);
if (variants.length === 0) variants.push("none", "cs", "cs-cmid", "cs-cmid-at", "cs-cmid-terms-at");
const args = [...chromiumArgs, ...(process.env.CHROMIUM_FLAGS ?? "").split(" ").filter(Boolean)];
const profileDir = process.env.PERSISTENT ? mkdtempSync(path.join(tmpdir(), "idb-index-cost-")) : null;
const browser = profileDir ? null : await chromium.launch({ executablePath: chromiumPath, args });
const context: BrowserContext = profileDir ? await chromium.launchPersistentContext(profileDir, { executablePath: chromiumPath, args }) : await browser!.newContext();
try {
  const page = await context.newPage();
  await page.route("http://idb.test/", (route) => route.fulfill({ body: "<html></html>", contentType: "text/html" }));
  await page.goto("http://idb.test/");
  for (const variant of variants) {
    const times = await page.evaluate(
      async ({ variant, batches, puts }) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const open = indexedDB.open(`idb-${variant}-${Math.random()}`, 1);
          open.onupgradeneeded = () => {
            const store = open.result.createObjectStore("messages", { keyPath: "id" });
            if (variant.includes("cs")) store.createIndex("cs", ["conversationId", "seq"]);
            if (variant.includes("cmid")) store.createIndex("clientMsgId", "clientMsgId");
            if (variant.includes("terms")) store.createIndex("terms", "terms", { multiEntry: true });
            if (variant.includes("at")) store.createIndex("at", "at");
          };
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        const out: number[] = [];
        let n = 0;
        const ascending = variant.includes("seqid");
        for (let b = 0; b < batches; b++) {
          const started = performance.now();
          await new Promise<void>((resolve, reject) => {
            const durability = variant.includes("strict") ? "strict" : variant.includes("relaxed") ? "relaxed" : "default";
            const tx = db.transaction("messages", "readwrite", { durability });
            const store = tx.objectStore("messages");
            for (let i = 0; i < puts; i++, n++) {
              const at = 1_796_387_625_214 + n * 10;
              const key = at.toString(36).padStart(9, "0");
              store.put({
                id: ascending ? String(1e9 + n) : `${Math.random().toString(36).slice(2)}${n}`, // (no named function in here: tsx adds __name to it)
                conversationId: `c${n % 50}`,
                seq: n,
                clientMsgId: `${Math.random().toString(36).slice(2)}${n}`,
                senderId: "u",
                kind: "text",
                body: `Missed 0-${n}`,
                at,
                terms: [`missed\u0000${key}`, `0\u0000${key}`, `${n}\u0000${key}`],
              });
            }
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          });
          out.push(performance.now() - started);
        }
        db.close();
        return out;
      },
      { variant, batches: BATCHES, puts: PUTS },
    );
    const mean = (a: number[]) => Math.round(a.reduce((x, y) => x + y, 0) / a.length);
    const total = Math.round(times.reduce((x, y) => x + y, 0));
    console.info(`${variant.padEnd(20)} ms per ${PUTS} puts: first 5 ${mean(times.slice(0, 5))}, last 5 ${mean(times.slice(-5))}; ${total} ms for ${BATCHES * PUTS} rows`);
  }
} finally {
  await context.close();
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
}
