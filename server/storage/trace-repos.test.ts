import { rmSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { searchNormalize } from "../../shared/protocol/index.js";
import { openTestStorage, type EngineKind } from "../testing/engines.js";
import { tempDir } from "../testing/harness.js";
import { MIGRATIONS as PG_MIGRATIONS, migrate } from "./postgres/migrations.js";
import { Engines, MemoryLog, schemaName, schemaPool } from "./postgres/test-support.js";
import { SqliteEngine } from "./sqlite/engine.js";
import { MIGRATIONS as SQLITE_MIGRATIONS } from "./sqlite/migrations.js";
import { DB_FILE } from "./sqlite/open.js";
import { Storage } from "./storage.js";
import type { TraceRow } from "./trace-types.js";

/** The trace and node-metrics repositories (migration 12) behave the same on both engines. */
const ENGINES: EngineKind[] = ["sqlite", "postgres"];

const row = (over: Partial<TraceRow>): TraceRow => ({
  conversationId: "c1",
  seqLo: 1,
  seqHi: 1,
  at: 1000,
  event: "stored",
  userId: "u1",
  deviceId: null,
  transport: null,
  node: null,
  ...over,
});

describe.each(ENGINES)("trace repositories on %s", (kind) => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  beforeEach(async () => {
    ({ storage, dispose } = await openTestStorage(kind));
  });
  afterEach(async () => dispose());

  it("finds the rows whose range covers a seq, and stores a batch larger than one statement's chunk", async () => {
    const many = Array.from({ length: 250 }, (_, i) => row({ conversationId: "big", seqLo: i + 1, seqHi: i + 1, at: 2000 + i }));
    await storage.write(async (tx) => {
      await tx.trace.insert([
        row({ seqLo: 5, seqHi: 5 }),
        row({ event: "pushed", seqLo: 3, seqHi: 7, deviceId: "d1", transport: "ws", node: "n1", at: 1001 }),
        row({ event: "acked", seqLo: 1, seqHi: 4, deviceId: "d1", at: 1002 }),
        row({ event: "acked", seqLo: 1, seqHi: 9, deviceId: "d1", at: 1003 }),
        row({ conversationId: "c2", seqLo: 5, seqHi: 5 }),
      ]);
      await tx.trace.insert(many);
      await tx.trace.insert([]);
    });
    const found = await storage.read(async (r) => r.trace.forMessage("c1", 5));
    expect(found.sort((a, b) => a.at - b.at)).toEqual([
      row({ seqLo: 5, seqHi: 5 }),
      row({ event: "pushed", seqLo: 3, seqHi: 7, deviceId: "d1", transport: "ws", node: "n1", at: 1001 }),
      row({ event: "acked", seqLo: 1, seqHi: 9, deviceId: "d1", at: 1003 }),
    ]);
    expect(await storage.read(async (r) => r.trace.forMessage("big", 250))).toEqual([
      row({ conversationId: "big", seqLo: 250, seqHi: 250, at: 2249 }),
    ]);
    expect(await storage.read(async (r) => r.trace.forMessage("c1", 10))).toEqual([]);
  });

  it("prunes at most max rows older than the cut-off, oldest rows only", async () => {
    await storage.write(async (tx) => tx.trace.insert(Array.from({ length: 10 }, (_, i) => row({ seqLo: i + 1, seqHi: i + 1, at: 100 + i }))));
    expect(await storage.write(async (tx) => tx.trace.prune(105, 3))).toBe(3);
    expect(await storage.write(async (tx) => tx.trace.prune(105, 3))).toBe(2);
    expect(await storage.write(async (tx) => tx.trace.prune(105, 3))).toBe(0);
    const left = await storage.read(async (r) => Promise.all(Array.from({ length: 10 }, (_, i) => r.trace.forMessage("c1", i + 1))));
    expect(left.map((rows) => rows.length)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it("keeps one snapshot per node, lists recent ones and prunes old ones", async () => {
    await storage.write(async (tx) => {
      await tx.nodeMetrics.put("b", 100, 1, '{"v":1}');
      await tx.nodeMetrics.put("a", 200, 2, '{"v":2}');
      await tx.nodeMetrics.put("b", 300, 3, '{"v":3}');
    });
    expect(await storage.read(async (r) => r.nodeMetrics.since(0))).toEqual([
      { node: "a", at: 200, startedAt: 2, data: '{"v":2}' },
      { node: "b", at: 300, startedAt: 3, data: '{"v":3}' },
    ]);
    expect(await storage.read(async (r) => r.nodeMetrics.since(250))).toEqual([{ node: "b", at: 300, startedAt: 3, data: '{"v":3}' }]);
    expect(await storage.write(async (tx) => tx.nodeMetrics.prune(250))).toBe(1);
    expect((await storage.read(async (r) => r.nodeMetrics.since(0))).map((n) => n.node)).toEqual(["b"]);
  });
});

/** Migration 12 on a database a version 11 server left: the two tables appear, the data stays. */
describe("migration 12 (trace_events, node_metrics) from version 11", () => {
  const traced = async (storage: Storage) => {
    await storage.write(async (tx) => {
      await tx.trace.insert([row({ event: "acked", seqHi: 3 })]);
      await tx.nodeMetrics.put("n1", 5, 1, "{}");
    });
    expect(await storage.read(async (r) => r.trace.forMessage("c1", 2))).toEqual([row({ event: "acked", seqHi: 3 })]);
    expect(await storage.read(async (r) => r.nodeMetrics.since(0))).toEqual([{ node: "n1", at: 5, startedAt: 1, data: "{}" }]);
    expect(await storage.read(async (r) => r.users.get("u1"))).toEqual({ id: "u1", username: "alice", displayName: "Alice" });
  };

  it("on SQLite", async () => {
    expect(SQLITE_MIGRATIONS.length).toBeGreaterThanOrEqual(12);
    const dir = tempDir();
    const raw = new Database(path.join(dir, DB_FILE));
    raw.function("search_normalize", { deterministic: true }, (body: unknown) => searchNormalize(String(body)));
    for (const sql of SQLITE_MIGRATIONS.slice(0, 11)) raw.exec(sql);
    raw.pragma("user_version = 11");
    raw.exec(`INSERT INTO users (id, username, display_name, password_hash, at) VALUES ('u1', 'alice', 'Alice', 'h', 1000)`);
    raw.close();
    const storage = new Storage(SqliteEngine.open({ dataDir: dir, ringCapacity: 2000 }));
    try {
      await traced(storage);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("on PostgreSQL", async () => {
    expect(PG_MIGRATIONS.length).toBeGreaterThanOrEqual(12);
    const engines = new Engines();
    const schema = schemaName();
    engines.schemas.push(schema);
    const pool = await schemaPool(schema);
    try {
      await migrate(pool, { schema, log: new MemoryLog(), target: 11 });
      await pool.query(`INSERT INTO users (id, username, display_name, password_hash, at) VALUES ('u1', 'alice', 'Alice', 'h', 1000)`);
      const log = new MemoryLog();
      await traced(new Storage(await engines.open({ schema, log })));
      const upTo = Array.from({ length: PG_MIGRATIONS.length - 11 }, (_, i) => `Migrated the PostgreSQL schema to version ${12 + i}.`);
      expect(log.lines.map((l) => l.msg)).toEqual(upTo);
    } finally {
      await pool.end();
      await engines.cleanup();
    }
  });
});
