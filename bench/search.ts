import path from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import pg from "pg";
import { parseInput, searchNormalize, searchQuerySchema } from "../shared/protocol/index.js";
import { search } from "../server/search/search.js";
import { PostgresEngine } from "../server/storage/postgres/engine.js";
import { SqliteEngine } from "../server/storage/sqlite/engine.js";
import { MIGRATIONS as SQLITE_MIGRATIONS, migrate as migrateSqlite } from "../server/storage/sqlite/migrations.js";
import { DB_FILE, openDatabase } from "../server/storage/sqlite/open.js";
import { indexAllPending } from "../server/storage/sqlite/search-indexer.js";
import { migrate as migratePostgres } from "../server/storage/postgres/migrations.js";
import { Storage } from "../server/storage/storage.js";
import { type BenchDatabase, postgresDatabase, sqliteDatabase } from "./lib/database.js";
import { summarize } from "./lib/stats.js";

/**
 * Server search latency on a large store (docs/benchmarks.md "Search (issue 13)").
 *
 *   node --import tsx bench/search.ts --engine=sqlite|postgres [--messages=1000000] [--runs=30]
 *   node --import tsx bench/search.ts --engine=sqlite|postgres --migration --messages=200000
 *
 * With --migration: a version-6 database holding the messages (no search
 * text yet), then migration 7 timed (its fill, the indexes).
 *
 * Stores `--messages` messages straight through SQL (the schema of the
 * current migrations, search_text computed with searchNormalize as the server
 * does), mixed Chinese and English, in 10,000 conversations: conversation 0 a
 * group holding a tenth of them, the others direct chats. Two searchers:
 * "typical" (50 direct chats, about 4,500 messages) and "big" (the group
 * plus 100 direct chats, about 110,000). Then times the search rule (what
 * GET /api/search runs inside its read, without HTTP) for queries of 1, 2
 * and 3+ characters, common and rare, over all conversations and inside one.
 * PostgreSQL: BENCH_DATABASE_URL, else a throwaway server.
 */

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ENGINE = arg("engine", "sqlite");
const MESSAGES = Number(arg("messages", "1000000"));
const RUNS = Number(arg("runs", "30"));
const CONVERSATIONS = 10_000;
const USERS = 2_000;
const BATCH = 10_000;
const MIGRATION = process.argv.includes("--migration");

const HAN =
  "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴";
const CN_WORDS = ["你好", "还在", "谢谢", "价格", "明天", "可以", "多少钱", "没问题", "好的", "明天见", "发货", "自行车"];
const EN_WORDS =
  "hello the bike price is still available can you ship tomorrow thanks ok sure deal pick up today how much please photo size color new used great meet where when time good morning evening sorry late address send paid order box".split(
    " ",
  );

/** Deterministic (so both engines hold the same text). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function body(rand: () => number, i: number): string {
  // ~20 rare messages each: a Chinese word and an English one that occur nowhere else.
  if (i % 50_000 === 7) return `看到一条鲸鱼 zebrafish ${i}`;
  const words: string[] = [];
  const n = 3 + Math.floor(rand() * 10);
  for (let w = 0; w < n; w++) {
    const r = rand();
    if (r < 0.3) words.push(CN_WORDS[Math.floor(rand() * CN_WORDS.length)]!);
    else if (r < 0.6) words.push(HAN[Math.floor(rand() * HAN.length)]! + HAN[Math.floor(rand() * HAN.length)]!);
    else words.push(EN_WORDS[Math.floor(rand() * EN_WORDS.length)]!);
  }
  const text = words.join(rand() < 0.5 ? " " : "");
  return rand() < 0.05 ? text.toUpperCase() : text;
}

interface Row {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string;
  at: number;
}

/** Members of each conversation: 0 is the big group (big + 50 others); 1..50 typical's chats; 51..150 big's; the rest random pairs. */
function membersOf(c: number): string[] {
  if (c === 0) return ["big", ...Array.from({ length: 50 }, (_, i) => `u${i + 1}`)];
  if (c <= 50) return ["typical", `u${c}`];
  if (c <= 150) return ["big", `u${c}`];
  return [`u${c % USERS}`, `u${(c * 7 + 3) % USERS}`].filter((u, i, all) => all.indexOf(u) === i).concat(c % USERS === (c * 7 + 3) % USERS ? [`u${(c + 1) % USERS}`] : []);
}

function* generate(total: number): Generator<Row[]> {
  const rand = rng(13);
  const seqs = new Int32Array(CONVERSATIONS);
  const base = 1_700_000_000_000;
  let batch: Row[] = [];
  for (let i = 0; i < total; i++) {
    const random = rand() < 0.1 ? 0 : 1 + Math.floor(rand() * (CONVERSATIONS - 1));
    // The rare messages go to the group, typical's first chat, big's first chat and elsewhere in turn.
    const c = i % 50_000 === 7 ? ([0, 1, 51, random][Math.floor(i / 50_000) % 4] ?? random) : random;
    const members = membersOf(c);
    const seq = ++seqs[c]!;
    // Several messages share a millisecond now and then (ties are part of the order).
    batch.push({ id: `m${i}`, conversationId: `c${c}`, seq, senderId: members[Math.floor(rand() * members.length)]!, body: body(rand, i), at: base + Math.floor(i / 3) * 7 });
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

const users = ["typical", "big", ...Array.from({ length: USERS }, (_, i) => `u${i}`)];

async function seedSqlite(dataDir: string): Promise<void> {
  const db = openDatabase(dataDir);
  db.pragma("synchronous = OFF");
  const insertUser = db.prepare(`INSERT INTO users (id, username, display_name, password_hash, at) VALUES (?, ?, ?, 'x', 0)`);
  const insertConv = db.prepare(`INSERT INTO conversations (id, type, title, last_seq, at) VALUES (?, ?, ?, 0, 0)`);
  const insertMember = db.prepare(`INSERT OR IGNORE INTO members (conversation_id, user_id, at) VALUES (?, ?, 0)`);
  const insertMessage = db.prepare(
    `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at, search_text) VALUES (?, ?, ?, ?, ?, 'text', ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const u of users) insertUser.run(u, u, u);
    for (let c = 0; c < CONVERSATIONS; c++) {
      insertConv.run(`c${c}`, c === 0 ? "group" : "direct", c === 0 ? "Big group" : null);
      for (const u of membersOf(c)) insertMember.run(`c${c}`, u);
    }
  })();
  const insertBatch = db.transaction((rows: Row[]) => {
    for (const r of rows) insertMessage.run(r.id, r.conversationId, r.seq, r.senderId, r.id, r.body, r.at, searchNormalize(r.body));
  });
  for (const rows of generate(MESSAGES)) insertBatch(rows);
  db.exec(`UPDATE conversations SET last_seq = (SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = conversations.id)`);
  // Every row indexed, as a server's indexer would have by now (migration 14: a row waits in message_search_pending).
  indexAllPending(db);
  db.exec("ANALYZE");
  db.close();
}

async function seedPostgres(url: string): Promise<void> {
  // Migrated first, by opening the engine once.
  await (await PostgresEngine.open({ url, ringCapacity: 100 })).close();
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(`INSERT INTO users (id, username, display_name, password_hash, at) SELECT u, u, u, 'x', 0 FROM unnest($1::text[]) AS u`, [users]);
    const convIds = Array.from({ length: CONVERSATIONS }, (_, c) => c);
    await pool.query(`INSERT INTO conversations (id, type, title, last_seq, at) SELECT 'c' || c, CASE WHEN c = 0 THEN 'group' ELSE 'direct' END, NULL, 0, 0 FROM unnest($1::int[]) AS c`, [convIds]);
    const pairs = convIds.flatMap((c) => membersOf(c).map((u) => [`c${c}`, u] as const));
    await pool.query(
      `INSERT INTO members (conversation_id, user_id, at) SELECT c, u, 0 FROM unnest($1::text[], $2::text[]) AS t(c, u) ON CONFLICT DO NOTHING`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    // The trigram index is built once after the rows, as a restore would (maintained row by row it costs several times more).
    await pool.query(`DROP INDEX messages_search`);
    for (const rows of generate(MESSAGES)) {
      await pool.query(
        `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at, search_text)
         SELECT id, c, seq, s, id, 'text', b, at, t FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS r(id, c, seq, s, b, at, t)`,
        [rows.map((r) => r.id), rows.map((r) => r.conversationId), rows.map((r) => r.seq), rows.map((r) => r.senderId), rows.map((r) => r.body), rows.map((r) => r.at), rows.map((r) => searchNormalize(r.body))],
      );
    }
    const started = performance.now();
    const ext = (await pool.query<{ s: string }>(`SELECT n.nspname AS s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`)).rows[0]!.s;
    await pool.query(`CREATE INDEX messages_search ON messages USING gin (search_text "${ext}".gin_trgm_ops)`);
    console.info(`pg_trgm GIN index built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await pool.query(`UPDATE conversations SET last_seq = m.n FROM (SELECT conversation_id, max(seq) AS n FROM messages GROUP BY conversation_id) m WHERE m.conversation_id = conversations.id`);
    await pool.query("VACUUM ANALYZE messages");
    await pool.query("ANALYZE");
    const size = (await pool.query<{ t: string; i: string }>(`SELECT pg_size_pretty(pg_table_size('messages')) AS t, pg_size_pretty(pg_relation_size('messages_search')) AS i`)).rows[0]!;
    console.info(`messages table ${size.t}, trigram index ${size.i}`);
  } finally {
    await pool.end();
  }
}

const QUERIES: { label: string; q: string }[] = [
  { label: "1 char, common (的)", q: "的" },
  { label: "1 char, rare (鲸)", q: "鲸" },
  { label: "2 chars, common (还在)", q: "还在" },
  { label: "2 chars, rare (鲸鱼)", q: "鲸鱼" },
  { label: "3 chars, common Chinese (多少钱)", q: "多少钱" },
  { label: "3+ chars, common English (hello)", q: "HELLO" },
  { label: "3+ chars, rare (zebrafish)", q: "zebrafish" },
  { label: "3 chars, rare Chinese (条鲸鱼)", q: "条鲸鱼" },
];

async function measure(storage: Storage): Promise<void> {
  const scopes = [
    { label: "typical, all conversations", user: "typical" },
    { label: "typical, one chat (c1)", user: "typical", conversationId: "c1" },
    { label: "big, all conversations", user: "big" },
    { label: "big, the group (c0, 100k)", user: "big", conversationId: "c0" },
  ];
  console.info(`\n| query | scope | results (first page) | more | p50 ms | p95 ms |\n|---|---|---|---|---|---|`);
  for (const { label, q } of QUERIES) {
    for (const scope of scopes) {
      const query = parseInput(searchQuerySchema, { q, ...(scope.conversationId ? { conversationId: scope.conversationId } : {}) });
      const times: number[] = [];
      let found = 0;
      let more = false;
      for (let run = 0; run < RUNS + 2; run++) {
        const started = performance.now();
        const page = await storage.read((r) => search(r, scope.user, query));
        if (run >= 2) times.push(performance.now() - started);
        found = page.results.length;
        more = page.before !== undefined;
      }
      const s = summarize(times);
      console.info(`| ${label} | ${scope.label} | ${found} | ${more ? "yes" : "no"} | ${s.median} | ${s.p95} |`);
    }
  }
}

/** A version-6 database with the messages (as a server before search left it), then migration 7, timed. */
async function migration(database: BenchDatabase): Promise<void> {
  const store = await database.fresh();
  try {
    const seedRows = async (run: (sql: string, params: unknown[]) => Promise<unknown>) => {
      await run(`INSERT INTO users (id, username, display_name, password_hash, at) SELECT u, u, u, 'x', 0 FROM unnest($1::text[]) AS u`, [users]);
      await run(`INSERT INTO conversations (id, type, last_seq, at) SELECT 'c' || c, 'direct', 0, 0 FROM generate_series(0, ${CONVERSATIONS - 1}) AS c`, []);
      for (const rows of generate(MESSAGES)) {
        await run(
          `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at)
           SELECT id, c, seq, s, id, 'text', b, at FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[]) AS r(id, c, seq, s, b, at)`,
          [rows.map((r) => r.id), rows.map((r) => r.conversationId), rows.map((r) => r.seq), rows.map((r) => r.senderId), rows.map((r) => r.body), rows.map((r) => r.at)],
        );
      }
    };
    let started: number;
    if (database.engine === "sqlite") {
      const db = new Database(path.join(store.dataDir, DB_FILE));
      db.pragma("journal_mode = WAL");
      for (const sql of SQLITE_MIGRATIONS.slice(0, 6)) db.exec(sql);
      db.pragma("user_version = 6");
      const insertUser = db.prepare(`INSERT INTO users (id, username, display_name, password_hash, at) VALUES (?, ?, ?, 'x', 0)`);
      const insertConv = db.prepare(`INSERT INTO conversations (id, type, last_seq, at) VALUES (?, 'direct', 0, 0)`);
      const insertMessage = db.prepare(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at) VALUES (?, ?, ?, ?, ?, 'text', ?, ?)`);
      db.transaction(() => {
        for (const u of users) insertUser.run(u, u, u);
        for (let c = 0; c < CONVERSATIONS; c++) insertConv.run(`c${c}`);
        for (const rows of generate(MESSAGES)) for (const r of rows) insertMessage.run(r.id, r.conversationId, r.seq, r.senderId, r.id, r.body, r.at);
      })();
      started = performance.now();
      migrateSqlite(db);
      db.close();
    } else {
      const url = store.env.DATABASE_URL!;
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      const schema = new URL(url).searchParams.get("options")!.replace("-c search_path=", "");
      await migratePostgres(pool, { schema, log: { info: () => undefined, warn: () => undefined }, target: 6 });
      await seedRows((sql, params) => pool.query(sql, params));
      started = performance.now();
      await migratePostgres(pool, { schema, log: { info: () => undefined, warn: () => undefined } });
      await pool.end();
    }
    console.info(`${database.label}: migration 7 over ${MESSAGES.toLocaleString("en")} stored messages took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await store.dispose();
  }
}

async function main(): Promise<void> {
  const database: BenchDatabase = ENGINE === "postgres" ? await postgresDatabase({ url: process.env.BENCH_DATABASE_URL }) : sqliteDatabase();
  if (MIGRATION) {
    await migration(database);
    await database.close();
    return;
  }
  const store = await database.fresh();
  try {
    console.info(`${database.label}: storing ${MESSAGES.toLocaleString("en")} messages`);
    const started = performance.now();
    if (ENGINE === "postgres") await seedPostgres(store.env.DATABASE_URL!);
    else await seedSqlite(store.dataDir);
    console.info(`stored in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const engine = ENGINE === "postgres" ? await PostgresEngine.open({ url: store.env.DATABASE_URL!, ringCapacity: 100 }) : SqliteEngine.open({ dataDir: store.dataDir, ringCapacity: 100 });
    const storage = new Storage(engine);
    try {
      await measure(storage);
    } finally {
      await storage.close();
    }
  } finally {
    await store.dispose();
    await database.close();
  }
}

await main();
