import { Dexie } from "dexie";
import type { Message } from "../../shared/protocol/index.js";
import { CourierDb, dbNameFor } from "../../web/db/database.js";
import { searchLocal } from "../../web/search/local-search.js";
import { backfillSearchIndex } from "../../web/search/backfill.js";
import { messageTerms } from "../../web/search/local-index.js";
import { QUERIES } from "./corpus.js";

/** Rows per write transaction, as a sync batch or a snapshot's chunk writes them. */
const BATCH = 200;
const QUERY_RUNS = 5;

export interface IndexFigures {
  messages: number;
  /** Bodies, UTF-8. */
  bodyBytes: number;
  /** Index entries (terms per message, summed) and their keys' UTF-8 bytes (term, separator, time). */
  entries: number;
  termBytes: number;
  /** Computing the index keys alone, every message. */
  termsMs: number;
  /** Writing every message in batches: schema 2 (no index), schema 3 (the middleware and `*terms`). */
  writePlainMs: number;
  writeIndexedMs: number;
  /** Opening a schema-2 database of `messages` rows as schema 3 (declares the indexes only). */
  upgradeMs: number;
  /** Then indexing those rows in the background (search/backfill.ts, batches of 300, not yielding to a page). */
  backfillMs: number;
  /** Storage each database took (navigator.storage.estimate deltas; absent where there is none). */
  usagePlain?: number;
  usageIndexed?: number;
  queries: { q: string; results: number; more: boolean; medianMs: number }[];
}

export interface Environment {
  /** Storage in use by the origin, when the platform can tell. */
  usage?: () => Promise<number>;
}

const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** The messages table as schema 2 had it: no terms, no middleware. */
function schema2(name: string): Dexie {
  const db = new Dexie(name);
  db.version(1).stores({ messages: "id, [conversationId+seq], clientMsgId", conversations: "conversationId", versions: "d", outbox: "clientMsgId, conversationId, createdAt" });
  db.version(2).stores({ drafts: "conversationId" });
  return db;
}

async function writeAll(table: { bulkPut(rows: Message[]): Promise<unknown> }, db: Dexie, messages: Message[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < messages.length; i += BATCH) {
    const batch = messages.slice(i, i + BATCH);
    await db.transaction("rw", "messages", () => table.bulkPut(batch));
  }
  return performance.now() - started;
}

export async function measureIndex(messages: Message[], env: Environment = {}): Promise<IndexFigures> {
  let entries = 0;
  let termBytes = 0;
  const started = performance.now();
  for (const m of messages) {
    const t = messageTerms(m);
    entries += t.length;
    for (const term of t) termBytes += utf8(term);
  }
  const termsMs = performance.now() - started;
  const bodyBytes = messages.reduce((sum, m) => sum + utf8(m.body), 0);

  // Schema 2, then the same rows through schema 3's middleware into a second database.
  const baseline = await env.usage?.();
  const plainUser = `bench-plain-${Date.now()}`;
  const plain = schema2(dbNameFor(plainUser));
  await plain.open();
  const writePlainMs = await writeAll(plain.table("messages"), plain, messages);
  plain.close();
  const afterPlain = await env.usage?.();

  const indexedUser = `bench-indexed-${Date.now()}`;
  const indexed = new CourierDb(indexedUser);
  await indexed.open();
  const writeIndexedMs = await writeAll(indexed.messages, indexed, messages);
  const afterIndexed = await env.usage?.();

  const queries: IndexFigures["queries"] = [];
  for (const q of QUERIES) {
    const times: number[] = [];
    let last = { messages: [] as unknown[], more: false };
    for (let run = 0; run < QUERY_RUNS; run++) {
      const t0 = performance.now();
      last = await searchLocal(indexed, q, { limit: 30 });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    queries.push({ q, results: last.messages.length, more: last.more, medianMs: times[Math.floor(times.length / 2)]! });
  }
  await indexed.delete();

  // The schema-2 database opened by this version of the app: the upgrade declares the index, the backfill fills it.
  const t0 = performance.now();
  const upgraded = new CourierDb(plainUser);
  await upgraded.open();
  const upgradeMs = performance.now() - t0;
  const t1 = performance.now();
  await backfillSearchIndex(upgraded, { storage: null, yieldToPage: () => Promise.resolve() });
  const backfillMs = performance.now() - t1;
  await upgraded.delete();

  return {
    messages: messages.length,
    bodyBytes,
    entries,
    termBytes,
    termsMs,
    writePlainMs,
    writeIndexedMs,
    upgradeMs,
    backfillMs,
    usagePlain: afterPlain === undefined || baseline === undefined ? undefined : afterPlain - baseline,
    usageIndexed: afterIndexed === undefined || afterPlain === undefined ? undefined : afterIndexed - afterPlain,
    queries,
  };
}
