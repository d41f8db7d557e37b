import type pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recallMessage } from "../../messages/lifecycle.js";
import { PostgresEngine } from "./engine.js";
import { MIGRATIONS, migrate } from "./migrations.js";
import { databaseUrl, Engines, MemoryLog, schemaName, schemaPool } from "./test-support.js";

const engines = new Engines();
const pools: pg.Pool[] = [];

// Without a database every test fails with the sentence that says how to get one.
beforeEach(() => {
  databaseUrl();
});

afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.end();
  await engines.cleanup();
});

/** A schema migrated to `version` only, as a server of that version left it. */
async function schemaAt(version: number): Promise<{ schema: string; pool: pg.Pool }> {
  const schema = schemaName();
  engines.schemas.push(schema);
  const pool = await schemaPool(schema);
  pools.push(pool);
  await migrate(pool, { schema, log: new MemoryLog(), target: version });
  return { schema, pool };
}

async function versionOf(pool: pg.Pool): Promise<number> {
  return (await pool.query<{ version: number }>("SELECT version FROM courier_schema")).rows[0]!.version;
}

const LATEST = MIGRATIONS.length;

describe("PostgreSQL migrations", () => {
  it("build the whole schema from scratch, one version per migration", async () => {
    const engine = await engines.open();
    const pool = await schemaPool(engines.schemas[0]!);
    pools.push(pool);
    expect(await versionOf(pool)).toBe(LATEST);
    expect(engines.log.count("info", /^Migrated the PostgreSQL schema to version \d+\.$/)).toBe(LATEST);
    const tables = (
      await pool.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
      )
    ).rows.map((r) => r.table_name);
    expect(tables).toEqual(
      [
        "campaigns",
        "conversations",
        "courier_schema",
        "device_acks",
        "devices",
        "entries",
        "follows",
        "heads",
        "items",
        "members",
        "messages",
        "orders",
        "push_notices",
        "push_preferences",
        "push_quota",
        "push_vapid",
        "sessions",
        "users",
        "message_hides",
        "commands",
        "command_results",
        "offers", // issue 14: offers
        "blocks", // issue 14: safety
        "reports",
        "media", // issue 14: photos
        "media_chunks",
        "message_media",
        "item_photos",
        "trace_events", // issue 15: the message trace
        "node_metrics", // and each process's metrics snapshot
        "revoked_sessions", // sessions an administrator's sign_out revoked (docs/security.md)
      ].sort(),
    );
    // Usable right away.
    await engine.write(async (tx) => tx.users.insert({ id: "u1", username: "alice", displayName: "Alice", passwordHash: "h", at: 1 }));
    expect(await engine.read(async (r) => r.users.get("u1"))).toEqual({ id: "u1", username: "alice", displayName: "Alice" });
  });

  it("upgrade a version 1 database, keeping its rows (and filling the push endpoint column of version 2)", async () => {
    const { schema, pool } = await schemaAt(1);
    expect(await versionOf(pool)).toBe(1);
    const sub = { endpoint: "https://push.example/abc", keys: { p256dh: "p", auth: "a" } };
    await pool.query(`
      INSERT INTO users VALUES ('u1', 'alice', 'Alice', 'hash1', 1000), ('u2', 'bob', 'Bob', 'hash2', 1001);
      INSERT INTO sessions VALUES ('s1', 'tok1', 'u1', 'd1', 1000, 9999999999999);
      INSERT INTO devices (id, user_id, session_id, protocol, capabilities, user_agent, notification, push, last_seen, at)
        VALUES ('d1', 'u1', 's1', 1, '["ack"]', 'UA', 'granted', '${JSON.stringify(sub)}', 1500, 1000),
               ('d2', 'u2', NULL, 1, '[]', NULL, NULL, '${JSON.stringify(sub)}', 1400, 1000);
      INSERT INTO device_acks VALUES ('d1', 'chat', 1);
      INSERT INTO items VALUES ('i1', 'u2', 'Bike', 10000000000, 'red', 'listed', 1100);
      INSERT INTO conversations VALUES ('c1', 'item', 'i1', NULL, 'item:i1:u1', 1, 1200);
      INSERT INTO members (conversation_id, user_id, read_seq, delivered_seq, muted, pinned, remark, label, at)
        VALUES ('c1', 'u1', 1, 1, false, true, 'r', 'l', 1200), ('c1', 'u2', 0, 0, false, false, '', '', 1200);
      INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at)
        VALUES ('m1', 'c1', 1, 'u1', 'cm1', 'text', 'hello', 1300);
      INSERT INTO orders VALUES ('o1', 'i1', 'c1', 'u1', 'u2', 'bought', 1400);
      INSERT INTO heads VALUES ('u2', 'chat', 1);
      INSERT INTO entries VALUES ('u2', 'chat', 1, 'msg', 1300, '{"message":{"id":"m1"}}', 'c1', 1);
    `);

    const log = new MemoryLog();
    const engine = await engines.open({ schema, log });
    expect(await versionOf(pool)).toBe(LATEST);
    expect(log.count("info", /^Migrated/)).toBe(LATEST - 1);

    await engine.read(async (r) => {
      expect(await r.users.byUsername("alice")).toEqual({ id: "u1", username: "alice", displayName: "Alice", passwordHash: "hash1" });
      expect(await r.sessions.find("tok1", 2000)).toEqual({
        sessionId: "s1",
        user: { id: "u1", username: "alice", displayName: "Alice" },
        expiresAt: 9999999999999,
      });
      expect(await r.devices.get("d1")).toEqual({
        id: "d1",
        userId: "u1",
        sessionId: "s1",
        userAgent: "UA",
        capabilities: ["ack"],
        notification: "granted",
        push: true,
        lastSeen: 1500,
        registeredAt: 1000,
      });
      expect(await r.log.acks("d1")).toEqual({ chat: 1, system: 0, marketing: 0 });
      expect(await r.items.get("i1")).toMatchObject({ priceCents: 10000000000, status: "listed" });
      expect(await r.conversations.get("c1")).toEqual({
        id: "c1",
        type: "item",
        itemId: "i1",
        title: null,
        uniqueKey: "item:i1:u1",
        lastSeq: 1,
        at: 1200,
      });
      expect(await r.conversations.member("c1", "u1")).toMatchObject({ readSeq: 1, pinned: true, remark: "r", label: "l" });
      expect(await r.messages.bySeq("c1", 1)).toEqual({
        id: "m1",
        conversationId: "c1",
        seq: 1,
        senderId: "u1",
        clientMsgId: "cm1",
        kind: "text",
        body: "hello",
        at: 1300,
      });
      expect(await r.orders.ofConversation("c1")).toMatchObject({ id: "o1", status: "bought" });
      expect(await r.log.heads("u2")).toEqual({ chat: 1, system: 0, marketing: 0 });
      expect(await r.log.range("u2", "chat", 0, 10)).toEqual([{ d: "chat", v: 1, k: "msg", at: 1300, data: { message: { id: "m1" } } }]);
      expect(await r.log.messageSeqsBetween("u2", 0, 1)).toEqual([{ conversationId: "c1", seq: 1 }]);
    });
    // The endpoint of a subscription stored before version 2 is found by index now.
    expect((await engine.write(async (tx) => tx.push.releaseEndpoint(sub.endpoint, "d1"))).result).toBe(1);
    expect(await engine.read(async (r) => [await r.push.subscription("d1"), await r.push.subscription("d2")])).toEqual([sub, null]);
    // Appending continues after the stored head.
    const { result } = await engine.write(async (tx) => tx.log.append([{ userId: "u2", d: "chat", k: "notice", data: {} }], 2000));
    expect(result[0]!.v).toBe(2);
  });

  it("upgrade a version 2 database, keeping its push and follow rows", async () => {
    const { schema, pool } = await schemaAt(2);
    await pool.query(`
      INSERT INTO users VALUES ('u1', 'alice', 'Alice', 'h', 1000), ('u2', 'bob', 'Bob', 'h', 1000);
      INSERT INTO push_vapid VALUES (1, 'PUB', 'PRIV', 1000);
      INSERT INTO push_preferences VALUES ('u1', true, 1000);
      INSERT INTO push_quota VALUES ('u1', 'marketing', '2030-01-01', 2);
      INSERT INTO push_notices (id, user_id, category, at) VALUES ('n1', 'u1', 'follow', 5000);
      INSERT INTO follows VALUES ('u1', 'u2', true, 1000, 1000);
    `);
    const engine = await engines.open({ schema });
    expect(await versionOf(pool)).toBe(LATEST);
    const { result } = await engine.write(async (tx) => ({
      vapid: await tx.push.vapidKeys({ publicKey: "NEW", privateKey: "NEW" }, 2000),
      prefs: await tx.push.preferences("u1"),
      quota: [await tx.push.takeQuota("u1", "marketing", "2030-01-01", 3), await tx.push.takeQuota("u1", "marketing", "2030-01-01", 3)],
      receipt: await tx.push.receipt("n1", "clicked", 4000),
      follow: await tx.follows.lock("u1", "u2"),
    }));
    expect(result).toEqual({
      vapid: { publicKey: "PUB", privateKey: "PRIV" },
      prefs: { hidePreviews: true },
      quota: [true, false],
      receipt: { status: "counted", category: "follow" },
      follow: { active: true, noticedAt: 1000 },
    });
  });

  it("upgrade a version 3 database: members keep their rows, each group's first member becomes its admin", async () => {
    const { schema, pool } = await schemaAt(3);
    await pool.query(`
      INSERT INTO users VALUES ('u1', 'alice', 'Alice', 'h', 1000), ('u2', 'bob', 'Bob', 'h', 1000), ('u3', 'cy', 'Cy', 'h', 1000);
      INSERT INTO conversations (id, type, title, at) VALUES ('g', 'group', 'Trip', 1000), ('d', 'direct', NULL, 1000);
      INSERT INTO members (conversation_id, user_id, read_seq, at) VALUES ('g', 'u2', 3, 1000), ('g', 'u1', 0, 1000), ('g', 'u3', 0, 2000), ('d', 'u1', 0, 1000), ('d', 'u2', 0, 1000);
    `);
    const engine = await engines.open({ schema });
    expect(await versionOf(pool)).toBe(LATEST);
    const roles = await engine.read(async (r) => [...(await r.conversations.members("g")), ...(await r.conversations.members("d"))]);
    expect(roles.map((m) => [m.conversationId, m.userId, m.role, m.state, m.readSeq])).toEqual([
      ["g", "u1", "admin", "member", 0],
      ["g", "u2", "member", "member", 3],
      ["g", "u3", "member", "member", 0],
      ["d", "u1", "member", "member", 0],
      ["d", "u2", "member", "member", 0],
    ]);
  });

  it("upgrade a version 4 database: whoever wrote in a conversation has posted there (the consent rule), the others not", async () => {
    const { schema, pool } = await schemaAt(4);
    await pool.query(`
      INSERT INTO users VALUES ('u1', 'alice', 'Alice', 'h', 1000), ('u2', 'bob', 'Bob', 'h', 1000), ('u3', 'cy', 'Cy', 'h', 1000);
      INSERT INTO conversations (id, type, title, last_seq, at) VALUES ('d', 'direct', NULL, 2, 1000), ('g', 'group', 'Trip', 0, 1000);
      INSERT INTO members (conversation_id, user_id, at) VALUES ('d', 'u1', 1000), ('d', 'u2', 1000), ('g', 'u1', 1000), ('g', 'u3', 1000);
      INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at)
      VALUES ('m1', 'd', 1, 'u2', 'c1', 'text', 'hi', 1000), ('m2', 'd', 2, 'u2', 'c2', 'text', 'again', 1000);
    `);
    const engine = await engines.open({ schema });
    expect(await versionOf(pool)).toBe(LATEST);
    const heard = await engine.read(async (r) => [await r.conversations.heardFrom("u1", "u2"), await r.conversations.heardFrom("u2", "u1"), await r.conversations.heardFrom("u1", "u3")]);
    expect(heard).toEqual([true, false, false]);
  });

  it("upgrade a version 5 database: a conv entry carrying a lastMessage gets its place, so a recall of it removes the text", async () => {
    const { schema, pool } = await schemaAt(5);
    const message = { id: "m1", conversationId: "d", seq: 1, senderId: "u1", clientMsgId: "c1", kind: "text", body: "secret from v5", at: 1000 };
    await pool.query(`
      INSERT INTO users VALUES ('u1', 'alice', 'Alice', 'h', 1000), ('u2', 'bob', 'Bob', 'h', 1000);
      INSERT INTO conversations (id, type, title, last_seq, at) VALUES ('d', 'direct', NULL, 1, 1000);
      INSERT INTO members (conversation_id, user_id, at) VALUES ('d', 'u1', 1000), ('d', 'u2', 1000);
      INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, kind, body, at) VALUES ('m1', 'd', 1, 'u1', 'c1', 'text', 'secret from v5', 1000);
      INSERT INTO heads VALUES ('u2', 'chat', 2);
    `);
    await pool.query(`INSERT INTO entries (user_id, domain, v, k, at, data) VALUES ('u2', 'chat', 1, 'conv', 1000, $1), ('u2', 'chat', 2, 'conv', 1000, $2)`, [
      JSON.stringify({ summary: { conversationId: "d", lastMessage: message } }),
      JSON.stringify({ summary: { conversationId: "d", lastMessage: null } }),
    ]);
    const engine = await engines.open({ schema });
    expect(await versionOf(pool)).toBe(LATEST);
    const refs = await pool.query(`SELECT v, conversation_id, seq FROM entries WHERE user_id = 'u2' ORDER BY v`);
    expect(refs.rows.map((r) => [Number(r.v), r.conversation_id, r.seq === null ? null : Number(r.seq)])).toEqual([
      [1, "d", 1],
      [2, null, null],
    ]);
    await engine.write((tx) => recallMessage(tx, "u1", "m1", 2000, 60_000));
    const rows = await pool.query<{ data: string }>(`SELECT data FROM entries`);
    expect(rows.rows.filter((r) => r.data.includes("secret from v5"))).toEqual([]);
  });

  it("open a latest-version database without migrating, keeping its campaigns", async () => {
    const { schema, pool } = await schemaAt(LATEST);
    await pool.query(`
      INSERT INTO campaigns (id, idempotency_key, fingerprint, title, body, url, sent_through, recipients, done, created_at)
      VALUES ('k1', 'key', 'fp', 'Sale', 'Now', NULL, 'u9', 9, false, 1000);
    `);
    const log = new MemoryLog();
    const engine = await engines.open({ schema, log });
    expect(log.count("info", /^Migrated/)).toBe(0);
    expect((await engine.write(async (tx) => tx.campaigns.lock("k1"))).result).toEqual({
      id: "k1",
      key: "key",
      fingerprint: "fp",
      title: "Sale",
      body: "Now",
      sentThrough: "u9",
      recipients: 9,
      done: false,
      createdAt: 1000,
    });
  });

  it("let two processes start at once on a fresh schema: both open, the migrations run once", async () => {
    const schema = schemaName();
    const log = new MemoryLog();
    const [a, b] = await Promise.all([engines.open({ schema, log }), engines.open({ schema, log })]);
    expect(log.count("info", /^Migrated/)).toBe(LATEST);
    await a.write(async (tx) => tx.users.insert({ id: "u1", username: "alice", displayName: "A", passwordHash: "h", at: 1 }));
    expect(await b.read(async (r) => r.users.get("u1"))).toMatchObject({ username: "alice" });
  });

  it("refuse a database whose schema is newer than this server, in one sentence", async () => {
    const { schema, pool } = await schemaAt(LATEST);
    await pool.query("UPDATE courier_schema SET version = $1", [LATEST + 1]);
    await expect(PostgresEngine.open({ url: databaseUrl(), schema, ringCapacity: 10, log: new MemoryLog() })).rejects.toThrow(
      `The database schema is version ${LATEST + 1}, newer than this server (${LATEST}); upgrade the server.`,
    );
  });

  it("refuse a schema name that is not a plain identifier", async () => {
    await expect(PostgresEngine.open({ url: databaseUrl(), schema: 'x"; DROP TABLE users; --', ringCapacity: 10 })).rejects.toThrow(
      /is not allowed/,
    );
  });
});
