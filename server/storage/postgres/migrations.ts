import type { Pool, PoolClient } from "pg";
import { searchNormalize } from "../../../shared/protocol/index.js";
import type { PgLog } from "./db.js";
import { isConnectionError } from "./errors.js";

/**
 * Ordered schema migrations, the PostgreSQL translation of the embedded
 * database's (server/storage/sqlite/migrations.ts), split the same way so a
 * version number means the same tables on both engines:
 * 1 core, 2 Web Push and follows, 3 campaigns, 4 group roles and membership.
 *
 * `courier_schema` (one row) records how many have run. Never edit a
 * migration that has shipped: append a new one.
 *
 * Types: SQLite's INTEGER is 64-bit, so every number is BIGINT (times are
 * epoch ms; the pool parses int8 as a JS number); its 0/1 flags are BOOLEAN.
 * Entry data, device capabilities and push subscriptions are TEXT holding
 * JSON, as in SQLite: jsonb would refuse `\u0000` and lone surrogates, which
 * JSON.stringify writes and JSON.parse reads back without complaint.
 *
 * Ids, names and keys are `COLLATE "C"`: byte order, as in SQLite, whatever
 * the database's locale. Campaigns walk users in id order, members list by
 * user id, search sorts by username, and ILIKE folds case for ASCII only
 * (as SQLite's LIKE does).
 */
export const MIGRATIONS: readonly string[] = [
  // 1: everything Courier core needs.
  `
  CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    username      TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name  TEXT COLLATE "C" NOT NULL,
    password_hash TEXT NOT NULL,
    at            BIGINT NOT NULL
  );

  CREATE TABLE sessions (
    id         TEXT COLLATE "C" PRIMARY KEY,
    token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id  TEXT COLLATE "C",
    at         BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX sessions_device ON sessions(device_id);
  CREATE INDEX sessions_expires ON sessions(expires_at);

  CREATE TABLE devices (
    id           TEXT COLLATE "C" PRIMARY KEY,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id   TEXT COLLATE "C",
    protocol     BIGINT,
    capabilities TEXT NOT NULL DEFAULT '[]',
    user_agent   TEXT,
    notification TEXT,
    push         TEXT,
    last_seen    BIGINT NOT NULL,
    at           BIGINT NOT NULL
  );
  CREATE INDEX devices_user ON devices(user_id);

  CREATE TABLE device_acks (
    device_id TEXT COLLATE "C" NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    domain    TEXT COLLATE "C" NOT NULL,
    v         BIGINT NOT NULL,
    PRIMARY KEY (device_id, domain)
  );

  CREATE TABLE items (
    id          TEXT COLLATE "C" PRIMARY KEY,
    seller_id   TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    title       TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    description TEXT NOT NULL,
    status      TEXT NOT NULL,
    at          BIGINT NOT NULL
  );
  -- Newest first, ties by id: exactly the listing's ORDER BY.
  CREATE INDEX items_at ON items(at DESC, id);

  -- unique_key makes direct (pair) and item (item + buyer) chats unique.
  CREATE TABLE conversations (
    id         TEXT COLLATE "C" PRIMARY KEY,
    type       TEXT NOT NULL,
    item_id    TEXT COLLATE "C" REFERENCES items(id),
    title      TEXT,
    unique_key TEXT COLLATE "C" UNIQUE,
    last_seq   BIGINT NOT NULL DEFAULT 0,
    at         BIGINT NOT NULL
  );
  CREATE INDEX conversations_item ON conversations(item_id) WHERE item_id IS NOT NULL;

  CREATE TABLE members (
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id         TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    read_seq        BIGINT NOT NULL DEFAULT 0,
    delivered_seq   BIGINT NOT NULL DEFAULT 0,
    muted           BOOLEAN NOT NULL DEFAULT false,
    pinned          BOOLEAN NOT NULL DEFAULT false,
    remark          TEXT NOT NULL DEFAULT '',
    label           TEXT NOT NULL DEFAULT '',
    at              BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
  );
  CREATE INDEX members_user ON members(user_id);

  CREATE TABLE messages (
    id              TEXT COLLATE "C" PRIMARY KEY,
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    sender_id       TEXT COLLATE "C" NOT NULL,
    client_msg_id   TEXT COLLATE "C" NOT NULL,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    at              BIGINT NOT NULL,
    recalled        BOOLEAN NOT NULL DEFAULT false,
    UNIQUE (conversation_id, seq),
    UNIQUE (sender_id, client_msg_id)
  );

  CREATE TABLE orders (
    id              TEXT COLLATE "C" PRIMARY KEY,
    item_id         TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES items(id),
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id),
    buyer_id        TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    seller_id       TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    status          TEXT NOT NULL,
    at              BIGINT NOT NULL
  );
  CREATE INDEX orders_conversation ON orders(conversation_id);

  -- Counter rows, bumped with UPDATE … RETURNING inside the appending
  -- transaction: a sequence would leave gaps when a transaction rolls back.
  CREATE TABLE heads (
    user_id TEXT COLLATE "C" NOT NULL,
    domain  TEXT COLLATE "C" NOT NULL,
    head    BIGINT NOT NULL,
    PRIMARY KEY (user_id, domain)
  );

  -- conversation_id/seq are denormalised from msg entries for delivered receipts.
  -- data is JSON text (see above).
  CREATE TABLE entries (
    user_id         TEXT COLLATE "C" NOT NULL,
    domain          TEXT COLLATE "C" NOT NULL,
    v               BIGINT NOT NULL,
    k               TEXT NOT NULL,
    at              BIGINT NOT NULL,
    data            TEXT NOT NULL,
    conversation_id TEXT COLLATE "C",
    seq             BIGINT,
    PRIMARY KEY (user_id, domain, v)
  );
  `,
  // 2: Web Push (server/push/) and follows (server/users/).
  `
  -- One row: the VAPID key pair every server process signs with.
  CREATE TABLE push_vapid (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    public_key  TEXT NOT NULL,
    private_key TEXT NOT NULL,
    at          BIGINT NOT NULL
  );

  CREATE TABLE push_preferences (
    user_id       TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    hide_previews BOOLEAN NOT NULL DEFAULT false,
    at            BIGINT NOT NULL
  );

  -- Pushes sent per (user, category, UTC day), for quota-limited categories.
  CREATE TABLE push_quota (
    user_id  TEXT COLLATE "C" NOT NULL,
    category TEXT COLLATE "C" NOT NULL,
    day      TEXT COLLATE "C" NOT NULL,
    used     BIGINT NOT NULL,
    PRIMARY KEY (user_id, category, day)
  );
  CREATE INDEX push_quota_day ON push_quota(day);

  -- Ids of notifications sent, so receipts are accepted only for those, once per event.
  CREATE TABLE push_notices (
    id        TEXT COLLATE "C" PRIMARY KEY,
    user_id   TEXT COLLATE "C" NOT NULL,
    category  TEXT NOT NULL,
    at        BIGINT NOT NULL,
    displayed BOOLEAN NOT NULL DEFAULT false,
    clicked   BOOLEAN NOT NULL DEFAULT false
  );
  CREATE INDEX push_notices_at ON push_notices(at);

  -- The subscription's endpoint beside its JSON, so an endpoint is found by index
  -- (SQLite indexes json_extract(push, '$.endpoint') instead).
  ALTER TABLE devices ADD COLUMN push_endpoint TEXT COLLATE "C";
  UPDATE devices SET push_endpoint = push::json->>'endpoint' WHERE push IS NOT NULL;
  CREATE INDEX devices_push_endpoint ON devices(push_endpoint) WHERE push_endpoint IS NOT NULL;

  CREATE TABLE follows (
    follower_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    followee_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    active      BOOLEAN NOT NULL,
    at          BIGINT NOT NULL,
    noticed_at  BIGINT,
    PRIMARY KEY (follower_id, followee_id)
  );
  CREATE INDEX follows_followee ON follows(followee_id);
  `,
  // 3: campaigns and how far each has gone out (idempotent, resumable sends).
  `
  CREATE TABLE campaigns (
    id              TEXT COLLATE "C" PRIMARY KEY,
    idempotency_key TEXT COLLATE "C" UNIQUE,
    fingerprint     TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    url             TEXT,
    sent_through    TEXT COLLATE "C",
    recipients      BIGINT NOT NULL DEFAULT 0,
    done            BOOLEAN NOT NULL DEFAULT false,
    created_at      BIGINT NOT NULL
  );
  `,
  // 4: groups people can control (docs/groups.md): roles, who added whom, and
  // the member's state (member, request, or gone: left, removed, declined).
  // A group from before roles gets its first member (by join time, then id)
  // as admin, so every existing group can still be managed.
  `
  ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
  ALTER TABLE members ADD COLUMN state TEXT NOT NULL DEFAULT 'member';
  ALTER TABLE members ADD COLUMN added_by TEXT COLLATE "C";
  UPDATE members SET role = 'admin'
  FROM (
    SELECT DISTINCT ON (m.conversation_id) m.conversation_id, m.user_id
    FROM members m JOIN conversations c ON c.id = m.conversation_id AND c.type = 'group'
    ORDER BY m.conversation_id, m.at, m.user_id
  ) AS first
  WHERE members.conversation_id = first.conversation_id AND members.user_id = first.user_id;
  `,
  // 5: whether each member has posted in the conversation (the consent rule,
  // docs/groups.md: a chat counts as knowing someone once they wrote in it),
  // set from the messages already stored.
  `
  ALTER TABLE members ADD COLUMN posted BOOLEAN NOT NULL DEFAULT false;
  UPDATE members SET posted = true
  FROM (SELECT DISTINCT conversation_id, sender_id FROM messages) AS wrote
  WHERE members.conversation_id = wrote.conversation_id AND members.user_id = wrote.sender_id;
  `,
  // 6: what people do with messages (docs/messages.md): replies, recall,
  // delete for me, archive and mark unread, and commands that repair a device.
  `
  ALTER TABLE messages ADD COLUMN reply_to_id TEXT COLLATE "C";
  ALTER TABLE messages ADD COLUMN reply_to_seq BIGINT;
  ALTER TABLE messages ADD COLUMN recalled_at BIGINT;
  -- A recall or a hide rewrites the msg entries that carried the text (content gone from the server).
  CREATE INDEX entries_message ON entries(conversation_id, seq) WHERE conversation_id IS NOT NULL;
  -- Conv entries written before this version carry their lastMessage without its place: kept beside it
  -- now, as convEntry does, so a recall or hide of that message finds and rewrites them too.
  UPDATE entries SET
    conversation_id = data::jsonb #>> '{summary,lastMessage,conversationId}',
    seq = (data::jsonb #>> '{summary,lastMessage,seq}')::bigint
  WHERE k = 'conv' AND conversation_id IS NULL AND data::jsonb #>> '{summary,lastMessage,seq}' IS NOT NULL;

  -- Delete for me: the message is gone from this user's history, snapshot, search and preview.
  CREATE TABLE message_hides (
    user_id         TEXT COLLATE "C" NOT NULL,
    message_id      TEXT COLLATE "C" NOT NULL,
    conversation_id TEXT COLLATE "C" NOT NULL,
    seq             BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    PRIMARY KEY (user_id, message_id)
  );
  CREATE INDEX message_hides_conversation ON message_hides(user_id, conversation_id, seq);

  ALTER TABLE members ADD COLUMN archived BOOLEAN NOT NULL DEFAULT false;
  ALTER TABLE members ADD COLUMN marked_unread BOOLEAN NOT NULL DEFAULT false;

  CREATE TABLE commands (
    id        TEXT COLLATE "C" PRIMARY KEY,
    user_id   TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id TEXT COLLATE "C",
    name      TEXT NOT NULL,
    args      TEXT NOT NULL,
    at        BIGINT NOT NULL
  );
  CREATE INDEX commands_user ON commands(user_id, at);

  CREATE TABLE command_results (
    command_id TEXT COLLATE "C" NOT NULL REFERENCES commands(id) ON DELETE CASCADE,
    device_id  TEXT COLLATE "C" NOT NULL,
    status     TEXT NOT NULL,
    detail     TEXT,
    report     TEXT,
    at         BIGINT NOT NULL,
    PRIMARY KEY (command_id, device_id)
  );
  `,
  // 7: server search (docs/messages.md, docs/protocol.md "Search (issue 13)").
  // `search_text` is what search compares: `searchNormalize(body)` written by
  // the server with each message, '' for system lines and recalled ones;
  // existing rows are filled by FILLS[7] in JS in the same transaction (SQL's
  // normalize()/lower() follow the database's Unicode tables and locale, not
  // the server's), which then builds pg_trgm's GIN (TRIGRAM_INDEX) once over
  // the filled rows. (conversation_id, at, seq) serves the newest-first scans.
  // The recall UPDATE (chat.ts) empties search_text itself; message_search_cleared
  // is kept only as a guard for any other rewrite of a body.
  `
  ALTER TABLE messages ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
  CREATE INDEX messages_conversation_at ON messages(conversation_id, at, seq);

  -- Content gone means gone from rows: a body rewritten (a recall) without a
  -- new search text in the same statement leaves no searchable copy behind.
  CREATE FUNCTION message_search_cleared() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.body IS DISTINCT FROM OLD.body AND NEW.search_text IS NOT DISTINCT FROM OLD.search_text THEN
      NEW.search_text := '';
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER message_search_cleared BEFORE UPDATE OF body ON messages
  FOR EACH ROW EXECUTE FUNCTION message_search_cleared();
  `,
  // offers, orders and listings (issue 14, docs/marketplace.md "Offers and
  // orders"): offers with one open offer per buyer and item (a unique partial
  // index); an offer message's reference; orders with a price, the offer they
  // came from and a cancellation. A cancelled order frees the item: one order
  // per item *that is not cancelled* replaces item_id UNIQUE.
  `
  CREATE TABLE offers (
    id              TEXT COLLATE "C" PRIMARY KEY,
    item_id         TEXT COLLATE "C" NOT NULL REFERENCES items(id),
    conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations(id),
    buyer_id        TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    seller_id       TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    by_id           TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    price_cents     BIGINT NOT NULL,
    status          TEXT NOT NULL,
    counter_of      TEXT COLLATE "C",
    order_id        TEXT COLLATE "C",
    at              BIGINT NOT NULL
  );
  CREATE UNIQUE INDEX offers_open ON offers(item_id, buyer_id) WHERE status = 'open';
  CREATE INDEX offers_item ON offers(item_id, at);
  CREATE INDEX offers_conversation ON offers(conversation_id, at);

  ALTER TABLE messages ADD COLUMN offer_id TEXT COLLATE "C";
  ALTER TABLE messages ADD COLUMN offer_price_cents BIGINT;
  ALTER TABLE messages ADD COLUMN offer_by TEXT COLLATE "C";

  ALTER TABLE orders ADD COLUMN price_cents BIGINT;
  ALTER TABLE orders ADD COLUMN offer_id TEXT COLLATE "C";
  ALTER TABLE orders ADD COLUMN cancelled_by TEXT COLLATE "C";
  ALTER TABLE orders ADD COLUMN reason TEXT;
  ALTER TABLE orders DROP CONSTRAINT orders_item_id_key;
  CREATE UNIQUE INDEX orders_item_active ON orders(item_id) WHERE status <> 'cancelled';
  `,
  // Safety (issue 14, server/safety/): who blocks whom, and reports for admins
  // (ids only: a report of a message never holds a copy of its text).
  `
  CREATE TABLE blocks (
    blocker_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blocked_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
  );
  CREATE INDEX blocks_blocked ON blocks(blocked_id, blocker_id);

  CREATE TABLE reports (
    id              TEXT COLLATE "C" PRIMARY KEY,
    reporter_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    target_id       TEXT COLLATE "C" NOT NULL,
    reason          TEXT NOT NULL,
    note            TEXT,
    conversation_id TEXT COLLATE "C",
    sender_id       TEXT COLLATE "C",
    at              BIGINT NOT NULL
  );
  CREATE INDEX reports_newest ON reports(at, id);
  `,
  // Photos (issue 14, server/media/, docs/marketplace.md "Photos"): uploads
  // (`media`), their bytes when the database is the media store
  // (`media_chunks`, at most 256 KiB each), which messages and listings show
  // them (`message_media`, `item_photos`: who may see a photo), and the copy a
  // message or listing carries (`messages.media`, `items.photos`: JSON).
  `
  CREATE TABLE media (
    id           TEXT COLLATE "C" PRIMARY KEY,
    owner_id     TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    mime         TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    thumb_bytes  BIGINT NOT NULL,
    thumb_width  INTEGER NOT NULL,
    thumb_height INTEGER NOT NULL,
    at           BIGINT NOT NULL
  );
  CREATE INDEX media_owner ON media(owner_id, at);

  CREATE TABLE media_chunks (
    media_id TEXT COLLATE "C" NOT NULL,
    variant  TEXT COLLATE "C" NOT NULL,
    n        INTEGER NOT NULL,
    bytes    BYTEA NOT NULL,
    PRIMARY KEY (media_id, variant, n)
  );

  CREATE TABLE message_media (
    message_id      TEXT COLLATE "C" NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    conversation_id TEXT COLLATE "C" NOT NULL,
    media_id        TEXT COLLATE "C" NOT NULL REFERENCES media(id),
    position        INTEGER NOT NULL,
    PRIMARY KEY (message_id, position)
  );
  CREATE INDEX message_media_media ON message_media(media_id, conversation_id);

  CREATE TABLE item_photos (
    item_id  TEXT COLLATE "C" NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    media_id TEXT COLLATE "C" NOT NULL REFERENCES media(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (item_id, position)
  );
  CREATE INDEX item_photos_media ON item_photos(media_id);

  ALTER TABLE messages ADD COLUMN media TEXT;
  ALTER TABLE items ADD COLUMN photos TEXT;
  `,
  // Presence (issue 14, server/presence/): when each user was last seen (their
  // last live connection on a process closed), whether they show it ("Show when
  // I'm online", default on), and a location message's place (rounded to 3 decimals).
  `
  ALTER TABLE users ADD COLUMN last_seen_at BIGINT;
  ALTER TABLE users ADD COLUMN show_online BOOLEAN NOT NULL DEFAULT true;
  ALTER TABLE messages ADD COLUMN location_lat DOUBLE PRECISION;
  ALTER TABLE messages ADD COLUMN location_lng DOUBLE PRECISION;
  ALTER TABLE messages ADD COLUMN location_label TEXT COLLATE "C";
  `,
  // 12: observability (issue 15, docs/observability.md). The message trace:
  // one row per delivery event and run of seqs of one conversation (an ack or
  // a read covers 1..hi), never text; found by (conversation_id, seq) through
  // the index on (conversation_id, seq_hi, seq_lo), pruned by \`at\`. And each
  // process's latest metrics snapshot (JSON), which the dashboard sums.
  `
  CREATE TABLE trace_events (
    id              BIGSERIAL PRIMARY KEY,
    conversation_id TEXT COLLATE "C" NOT NULL,
    seq_lo          BIGINT NOT NULL,
    seq_hi          BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    event           TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C",
    device_id       TEXT COLLATE "C",
    transport       TEXT COLLATE "C",
    node            TEXT COLLATE "C"
  );
  CREATE INDEX trace_events_message ON trace_events(conversation_id, seq_hi, seq_lo);
  CREATE INDEX trace_events_at ON trace_events(at);

  CREATE TABLE node_metrics (
    node       TEXT COLLATE "C" PRIMARY KEY,
    at         BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    data       TEXT NOT NULL
  );
  `,  // 13: sessions an administrator's \`sign_out\` revoked (docs/protocol.md
  // "Commands"), kept until they would have expired: a request that still
  // presents one (a device offline at the time, or between two long-polls)
  // hears why with its 401, not only that it was refused.
  `
  CREATE TABLE revoked_sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    command_id TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX revoked_sessions_expires ON revoked_sessions(expires_at);
  `,
];

/**
 * pg_trgm's GIN on search_text (LIKE for 3+ characters). The extension goes
 * in public, where extensions live, so that dropping a Courier schema never
 * takes the extension (and another schema's index) with it; the operator
 * class is named by the schema it is in.
 */
const TRIGRAM_INDEX = `
  DO $$
  DECLARE ext_schema text;
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
      IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
        CREATE EXTENSION pg_trgm SCHEMA public;
      ELSE
        CREATE EXTENSION pg_trgm;
      END IF;
    END IF;
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX messages_search ON messages USING gin (search_text %I.gin_trgm_ops)', ext_schema);
  END $$;
`;

/** Rows a fill reads and writes at once. */
const FILL_BATCH = 5000;

/**
 * Work a migration needs done in JS, run right after its SQL in the same
 * transaction (keyed by the version the migration brings the schema to).
 */
const FILLS: Partial<Record<number, (client: PoolClient) => Promise<void>>> = {
  // 7: search_text of the messages stored before it, by the server's own normalisation; then the trigram index.
  7: async (client) => {
    let after = "";
    for (;;) {
      const { rows } = await client.query<{ id: string; body: string }>(
        `SELECT id, body FROM messages WHERE id > $1 AND kind = 'text' AND NOT recalled AND body <> '' ORDER BY id LIMIT $2`,
        [after, FILL_BATCH],
      );
      if (rows.length === 0) break;
      await client.query(`UPDATE messages m SET search_text = f.t FROM unnest($1::text[], $2::text[]) AS f(id, t) WHERE m.id = f.id`, [
        rows.map((r) => r.id),
        rows.map((r) => searchNormalize(r.body)),
      ]);
      after = rows[rows.length - 1]!.id;
    }
    await client.query(TRIGRAM_INDEX);
  },
};


/** Any constant will do, as long as every Courier process uses the same one ("Cour"). */
export const MIGRATION_LOCK = 0x436f7572;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name safe to put in SQL and in `search_path` as it is. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`Schema name "${schema}" is not allowed; use lowercase letters, digits and _ (at most 63, not starting with a digit).`);
  }
  return schema;
}

export function tooNewError(version: number): Error {
  return new Error(`The database schema is version ${version}, newer than this server (${MIGRATIONS.length}); upgrade the server.`);
}

/**
 * Brings the schema up to `target` (default: the latest). Holds a
 * session-level advisory lock on one dedicated connection throughout, so
 * several processes starting at once take turns: whoever comes second reads
 * the version the first one committed and has nothing left to do. Each
 * migration commits together with its version bump.
 *
 * Resolves with how many migrations this call ran.
 */
export async function migrate(pool: Pool, opts: { schema?: string; log: PgLog; target?: number }): Promise<number> {
  const target = opts.target ?? MIGRATIONS.length;
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken ??= error;
  };
  client.on("error", onError);
  let locked = false;
  let ran = 0;
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    locked = true;
    if (opts.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${checkSchemaName(opts.schema)}"`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS courier_schema (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
      );
      INSERT INTO courier_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
    `);
    const { rows } = await client.query<{ version: number }>("SELECT version FROM courier_schema WHERE id = 1");
    let version = rows[0]?.version ?? 0;
    if (version > MIGRATIONS.length) throw tooNewError(version);
    while (version < target) {
      await client.query("BEGIN");
      try {
        await client.query(MIGRATIONS[version]!);
        await FILLS[version + 1]?.(client);
        await client.query("UPDATE courier_schema SET version = $1 WHERE id = 1", [version + 1]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
      version++;
      ran++;
      opts.log.info({ version }, `Migrated the PostgreSQL schema to version ${version}.`);
    }
    return ran;
  } catch (error) {
    if (error instanceof Error && isConnectionError(error)) broken ??= error;
    throw error;
  } finally {
    if (locked && broken === undefined) {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch((error: unknown) => {
        broken = error instanceof Error ? error : new Error(String(error));
      });
    }
    client.removeListener("error", onError);
    // A discarded connection takes its session-level lock with it.
    client.release(broken);
  }
}

