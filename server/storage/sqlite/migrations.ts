import type Database from "better-sqlite3";
import { searchNormalize } from "../../../shared/protocol/index.js";

/**
 * Ordered schema migrations. `PRAGMA user_version` records how many have run;
 * on open every later one runs, each in its own transaction. Never edit a
 * migration that has shipped: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: everything Courier core needs.
  `
  CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    at            INTEGER NOT NULL
  );

  CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id  TEXT,
    at         INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_device ON sessions(device_id);

  CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id   TEXT,
    protocol     INTEGER,
    capabilities TEXT NOT NULL DEFAULT '[]',
    user_agent   TEXT,
    notification TEXT,
    push         TEXT,
    last_seen    INTEGER NOT NULL,
    at           INTEGER NOT NULL
  );
  CREATE INDEX devices_user ON devices(user_id);

  CREATE TABLE device_acks (
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    domain    TEXT NOT NULL,
    v         INTEGER NOT NULL,
    PRIMARY KEY (device_id, domain)
  ) WITHOUT ROWID;

  CREATE TABLE items (
    id          TEXT PRIMARY KEY,
    seller_id   TEXT NOT NULL REFERENCES users(id),
    title       TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    description TEXT NOT NULL,
    status      TEXT NOT NULL,
    at          INTEGER NOT NULL
  );
  CREATE INDEX items_at ON items(at);

  -- unique_key makes direct (pair) and item (item + buyer) chats unique.
  CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    item_id    TEXT REFERENCES items(id),
    title      TEXT,
    unique_key TEXT UNIQUE,
    last_seq   INTEGER NOT NULL DEFAULT 0,
    at         INTEGER NOT NULL
  );

  CREATE TABLE members (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    read_seq        INTEGER NOT NULL DEFAULT 0,
    delivered_seq   INTEGER NOT NULL DEFAULT 0,
    muted           INTEGER NOT NULL DEFAULT 0,
    pinned          INTEGER NOT NULL DEFAULT 0,
    remark          TEXT NOT NULL DEFAULT '',
    label           TEXT NOT NULL DEFAULT '',
    at              INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX members_user ON members(user_id);

  CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    sender_id       TEXT NOT NULL,
    client_msg_id   TEXT NOT NULL,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    at              INTEGER NOT NULL,
    recalled        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conversation_id, seq),
    UNIQUE (sender_id, client_msg_id)
  );

  CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    item_id         TEXT NOT NULL UNIQUE REFERENCES items(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    buyer_id        TEXT NOT NULL REFERENCES users(id),
    seller_id       TEXT NOT NULL REFERENCES users(id),
    status          TEXT NOT NULL,
    at              INTEGER NOT NULL
  );
  CREATE INDEX orders_conversation ON orders(conversation_id);

  CREATE TABLE heads (
    user_id TEXT NOT NULL,
    domain  TEXT NOT NULL,
    head    INTEGER NOT NULL,
    PRIMARY KEY (user_id, domain)
  ) WITHOUT ROWID;

  -- conversation_id/seq are denormalised from msg entries for delivered receipts.
  CREATE TABLE entries (
    user_id         TEXT NOT NULL,
    domain          TEXT NOT NULL,
    v               INTEGER NOT NULL,
    k               TEXT NOT NULL,
    at              INTEGER NOT NULL,
    data            TEXT NOT NULL,
    conversation_id TEXT,
    seq             INTEGER,
    PRIMARY KEY (user_id, domain, v)
  ) WITHOUT ROWID;
  `,
  // 2: Web Push (server/push/) and follows (server/users/).
  `
  -- One row: the VAPID key pair every server process signs with.
  CREATE TABLE push_vapid (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    public_key  TEXT NOT NULL,
    private_key TEXT NOT NULL,
    at          INTEGER NOT NULL
  );

  CREATE TABLE push_preferences (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    hide_previews INTEGER NOT NULL DEFAULT 0,
    at            INTEGER NOT NULL
  );

  -- Pushes sent per (user, category, UTC day), for quota-limited categories.
  CREATE TABLE push_quota (
    user_id  TEXT NOT NULL,
    category TEXT NOT NULL,
    day      TEXT NOT NULL,
    used     INTEGER NOT NULL,
    PRIMARY KEY (user_id, category, day)
  ) WITHOUT ROWID;

  -- Ids of notifications sent, so receipts are accepted only for those, once per event.
  CREATE TABLE push_notices (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL,
    category  TEXT NOT NULL,
    at        INTEGER NOT NULL,
    displayed INTEGER NOT NULL DEFAULT 0,
    clicked   INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX push_notices_at ON push_notices(at);

  CREATE INDEX devices_push_endpoint ON devices(json_extract(push, '$.endpoint')) WHERE push IS NOT NULL;

  CREATE TABLE follows (
    follower_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    followee_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    active      INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    noticed_at  INTEGER,
    PRIMARY KEY (follower_id, followee_id)
  ) WITHOUT ROWID;
  CREATE INDEX follows_followee ON follows(followee_id);
  `,
  // 3: campaigns and how far each has gone out (idempotent, resumable sends).
  `
  CREATE TABLE campaigns (
    id              TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    fingerprint     TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    url             TEXT,
    sent_through    TEXT,
    recipients      INTEGER NOT NULL DEFAULT 0,
    done            INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
  );
  `,
  // 4: groups people can control (docs/groups.md): roles, who added whom, and
  // the member's state (member, request, or gone: left, removed, declined).
  // A group from before roles gets its first member (by join time, then id)
  // as admin, so every existing group can still be managed.
  `
  ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
  ALTER TABLE members ADD COLUMN state TEXT NOT NULL DEFAULT 'member';
  ALTER TABLE members ADD COLUMN added_by TEXT;
  UPDATE members SET role = 'admin'
  WHERE user_id = (
    SELECT m.user_id FROM members m WHERE m.conversation_id = members.conversation_id ORDER BY m.at, m.user_id LIMIT 1
  ) AND conversation_id IN (SELECT id FROM conversations WHERE type = 'group');
  `,
  // 5: whether each member has posted in the conversation (the consent rule,
  // docs/groups.md: a chat counts as knowing someone once they wrote in it),
  // set from the messages already stored.
  `
  ALTER TABLE members ADD COLUMN posted INTEGER NOT NULL DEFAULT 0;
  UPDATE members SET posted = 1
  WHERE EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = members.user_id AND m.conversation_id = members.conversation_id);
  `,
  // 6: what people do with messages (docs/messages.md): replies, recall,
  // delete for me, archive and mark unread, and commands that repair a device.
  `
  ALTER TABLE messages ADD COLUMN reply_to_id TEXT;
  ALTER TABLE messages ADD COLUMN reply_to_seq INTEGER;
  ALTER TABLE messages ADD COLUMN recalled_at INTEGER;
  -- A recall or a hide rewrites the msg entries that carried the text (content gone from the server).
  CREATE INDEX entries_message ON entries(conversation_id, seq) WHERE conversation_id IS NOT NULL;
  -- Conv entries written before this version carry their lastMessage without its place: kept beside it
  -- now, as convEntry does, so a recall or hide of that message finds and rewrites them too.
  UPDATE entries SET
    conversation_id = json_extract(data, '$.summary.lastMessage.conversationId'),
    seq = json_extract(data, '$.summary.lastMessage.seq')
  WHERE k = 'conv' AND conversation_id IS NULL AND json_extract(data, '$.summary.lastMessage.seq') IS NOT NULL;

  -- Delete for me: the message is gone from this user's history, snapshot, search and preview.
  CREATE TABLE message_hides (
    user_id         TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    PRIMARY KEY (user_id, message_id)
  ) WITHOUT ROWID;
  CREATE INDEX message_hides_conversation ON message_hides(user_id, conversation_id, seq);

  ALTER TABLE members ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE members ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE commands (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id TEXT,
    name      TEXT NOT NULL,
    args      TEXT NOT NULL,
    at        INTEGER NOT NULL
  );
  CREATE INDEX commands_user ON commands(user_id, at);

  CREATE TABLE command_results (
    command_id TEXT NOT NULL REFERENCES commands(id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL,
    status     TEXT NOT NULL,
    detail     TEXT,
    report     TEXT,
    at         INTEGER NOT NULL,
    PRIMARY KEY (command_id, device_id)
  ) WITHOUT ROWID;
  `,
  // 7: server search (docs/messages.md, docs/protocol.md "Search (issue 13)").
  // `search_text` is what search compares: `searchNormalize(body)` (NFKC, lower
  // case) written by the server with each message, '' for system lines and
  // recalled ones. Existing rows are filled here with the same JS function
  // (search_normalize, registered by migrate()), so old and new rows agree.
  // FTS5 trigram over it (external content, kept by triggers) answers queries
  // of 3+ characters; (conversation_id, at, seq) serves the newest-first scans
  // of 1–2 character queries and in-conversation search. The recall UPDATE
  // (message-store.ts) empties search_text itself; message_search_cleared is
  // kept only as a guard for any other rewrite of a body.
  `
  ALTER TABLE messages ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
  UPDATE messages SET search_text = search_normalize(body) WHERE kind = 'text' AND recalled = 0 AND body <> '';
  CREATE INDEX messages_conversation_at ON messages(conversation_id, at, seq);

  CREATE VIRTUAL TABLE message_search USING fts5(
    search_text, content = 'messages', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 1'
  );
  INSERT INTO message_search(message_search) VALUES ('rebuild');

  CREATE TRIGGER message_search_insert AFTER INSERT ON messages WHEN new.search_text <> '' BEGIN
    INSERT INTO message_search(rowid, search_text) VALUES (new.rowid, new.search_text);
  END;
  CREATE TRIGGER message_search_delete AFTER DELETE ON messages WHEN old.search_text <> '' BEGIN
    INSERT INTO message_search(message_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
  END;
  CREATE TRIGGER message_search_update AFTER UPDATE OF search_text ON messages WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO message_search(message_search, rowid, search_text) SELECT 'delete', old.rowid, old.search_text WHERE old.search_text <> '';
    INSERT INTO message_search(rowid, search_text) SELECT new.rowid, new.search_text WHERE new.search_text <> '';
  END;
  -- Content gone means gone from rows: a body rewritten (a recall) without a
  -- new search text in the same statement leaves no searchable copy behind.
  CREATE TRIGGER message_search_cleared AFTER UPDATE OF body ON messages
  WHEN new.body IS NOT old.body AND new.search_text IS old.search_text AND new.search_text <> '' BEGIN
    UPDATE messages SET search_text = '' WHERE rowid = new.rowid;
  END;
  `,
  // offers, orders and listings (issue 14, docs/marketplace.md "Offers and
  // orders"): offers with one open offer per buyer and item (a unique partial
  // index); an offer message's reference; orders with a price, the offer they
  // came from and a cancellation. A cancelled order frees the item, so orders
  // are rebuilt with one order per item *that is not cancelled* instead of
  // item_id UNIQUE (nothing references orders; its rows are copied as they are).
  `
  CREATE TABLE offers (
    id              TEXT PRIMARY KEY,
    item_id         TEXT NOT NULL REFERENCES items(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    buyer_id        TEXT NOT NULL REFERENCES users(id),
    seller_id       TEXT NOT NULL REFERENCES users(id),
    by_id           TEXT NOT NULL REFERENCES users(id),
    price_cents     INTEGER NOT NULL,
    status          TEXT NOT NULL,
    counter_of      TEXT,
    order_id        TEXT,
    at              INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX offers_open ON offers(item_id, buyer_id) WHERE status = 'open';
  CREATE INDEX offers_item ON offers(item_id, at);
  CREATE INDEX offers_conversation ON offers(conversation_id, at);

  ALTER TABLE messages ADD COLUMN offer_id TEXT;
  ALTER TABLE messages ADD COLUMN offer_price_cents INTEGER;
  ALTER TABLE messages ADD COLUMN offer_by TEXT;

  CREATE TABLE orders_v2 (
    id              TEXT PRIMARY KEY,
    item_id         TEXT NOT NULL REFERENCES items(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    buyer_id        TEXT NOT NULL REFERENCES users(id),
    seller_id       TEXT NOT NULL REFERENCES users(id),
    status          TEXT NOT NULL,
    at              INTEGER NOT NULL,
    price_cents     INTEGER,
    offer_id        TEXT,
    cancelled_by    TEXT,
    reason          TEXT
  );
  INSERT INTO orders_v2 (id, item_id, conversation_id, buyer_id, seller_id, status, at)
    SELECT id, item_id, conversation_id, buyer_id, seller_id, status, at FROM orders;
  DROP TABLE orders;
  ALTER TABLE orders_v2 RENAME TO orders;
  CREATE INDEX orders_conversation ON orders(conversation_id);
  CREATE UNIQUE INDEX orders_item_active ON orders(item_id) WHERE status <> 'cancelled';
  `,
  // Safety (issue 14, server/safety/): who blocks whom, and reports for admins
  // (ids only: a report of a message never holds a copy of its text).
  `
  CREATE TABLE blocks (
    blocker_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blocked_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
  ) WITHOUT ROWID;
  CREATE INDEX blocks_blocked ON blocks(blocked_id, blocker_id);

  CREATE TABLE reports (
    id              TEXT PRIMARY KEY,
    reporter_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    reason          TEXT NOT NULL,
    note            TEXT,
    conversation_id TEXT,
    sender_id       TEXT,
    at              INTEGER NOT NULL
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
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL REFERENCES users(id),
    mime         TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    thumb_bytes  INTEGER NOT NULL,
    thumb_width  INTEGER NOT NULL,
    thumb_height INTEGER NOT NULL,
    at           INTEGER NOT NULL
  );
  CREATE INDEX media_owner ON media(owner_id, at);

  CREATE TABLE media_chunks (
    media_id TEXT NOT NULL,
    variant  TEXT NOT NULL,
    n        INTEGER NOT NULL,
    bytes    BLOB NOT NULL,
    PRIMARY KEY (media_id, variant, n)
  );

  CREATE TABLE message_media (
    message_id      TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    media_id        TEXT NOT NULL REFERENCES media(id),
    position        INTEGER NOT NULL,
    PRIMARY KEY (message_id, position)
  ) WITHOUT ROWID;
  CREATE INDEX message_media_media ON message_media(media_id, conversation_id);

  CREATE TABLE item_photos (
    item_id  TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    media_id TEXT NOT NULL REFERENCES media(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (item_id, position)
  ) WITHOUT ROWID;
  CREATE INDEX item_photos_media ON item_photos(media_id);

  ALTER TABLE messages ADD COLUMN media TEXT;
  ALTER TABLE items ADD COLUMN photos TEXT;
  `,
  // Presence (issue 14, server/presence/): when each user was last seen (their
  // last live connection on a process closed), whether they show it ("Show when
  // I'm online", default on), and a location message's place (rounded to 3 decimals).
  `
  ALTER TABLE users ADD COLUMN last_seen_at INTEGER;
  ALTER TABLE users ADD COLUMN show_online INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE messages ADD COLUMN location_lat REAL;
  ALTER TABLE messages ADD COLUMN location_lng REAL;
  ALTER TABLE messages ADD COLUMN location_label TEXT;
  `,
  // 12: observability (issue 15, docs/observability.md). The message trace:
  // one row per delivery event and run of seqs of one conversation (an ack or
  // a read covers 1..hi), never text; found by (conversation_id, seq) through
  // the index on (conversation_id, seq_hi, seq_lo), pruned by \`at\`. And each
  // process's latest metrics snapshot (JSON), which the dashboard sums.
  `
  CREATE TABLE trace_events (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq_lo          INTEGER NOT NULL,
    seq_hi          INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    event           TEXT NOT NULL,
    user_id         TEXT,
    device_id       TEXT,
    transport       TEXT,
    node            TEXT
  );
  CREATE INDEX trace_events_message ON trace_events(conversation_id, seq_hi, seq_lo);
  CREATE INDEX trace_events_at ON trace_events(at);

  CREATE TABLE node_metrics (
    node       TEXT PRIMARY KEY,
    at         INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    data       TEXT NOT NULL
  );
  `,
  // 13: entries become an ordinary (rowid) table, the key (user_id, domain, v)
  // an index beside it (issue 16, docs/benchmarks.md "Entries: a rowid table").
  // WITHOUT ROWID keeps each whole row inside its key's b-tree, interior pages
  // included, and a key comparison against a row that spills onto overflow
  // pages reads all of it: a group's conv entry (its summary names every
  // member: 142 KB at 500 members) was read whole by appends and acks of
  // everyone whose key search passed it. Same columns, same rows, same order
  // of versions; only where the bytes live changes.
  `
  CREATE TABLE entries_rowid (
    user_id         TEXT NOT NULL,
    domain          TEXT NOT NULL,
    v               INTEGER NOT NULL,
    k               TEXT NOT NULL,
    at              INTEGER NOT NULL,
    data            TEXT NOT NULL,
    conversation_id TEXT,
    seq             INTEGER,
    PRIMARY KEY (user_id, domain, v)
  );
  INSERT INTO entries_rowid (user_id, domain, v, k, at, data, conversation_id, seq)
    SELECT user_id, domain, v, k, at, data, conversation_id, seq FROM entries ORDER BY user_id, domain, v;
  DROP TABLE entries;
  ALTER TABLE entries_rowid RENAME TO entries;
  CREATE INDEX entries_message ON entries(conversation_id, seq) WHERE conversation_id IS NOT NULL;
  `,
  // 14: the search index written behind the send (issue 16, docs/benchmarks.md
  // "Search index behind the commit"). FTS5 writes what a transaction added as
  // a new segment when it commits: ~85 µs of every COMMIT for a one-message
  // group, on the event loop. A new message's rowid now goes to
  // message_search_pending; search-indexer.ts moves pending rows into the
  // index many at a time in background writes, and search reads the pending
  // rows beside the index (search-store.ts), so a message is findable from its
  // commit on, as before. A row is in exactly one of the two: the index is
  // touched only for rows that are not pending (an external-content index must
  // be told exactly what it holds when a row leaves it).
  `
  CREATE TABLE message_search_pending (message_rowid INTEGER PRIMARY KEY);
  DROP TRIGGER message_search_insert;
  DROP TRIGGER message_search_delete;
  DROP TRIGGER message_search_update;
  CREATE TRIGGER message_search_insert AFTER INSERT ON messages WHEN new.search_text <> '' BEGIN
    INSERT OR IGNORE INTO message_search_pending(message_rowid) VALUES (new.rowid);
  END;
  CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_search(message_search, rowid, search_text) SELECT 'delete', old.rowid, old.search_text
      WHERE old.search_text <> '' AND NOT EXISTS (SELECT 1 FROM message_search_pending WHERE message_rowid = old.rowid);
    DELETE FROM message_search_pending WHERE message_rowid = old.rowid;
  END;
  -- A pending row is indexed with the text it has then; an indexed one is re-indexed now.
  CREATE TRIGGER message_search_update AFTER UPDATE OF search_text ON messages
  WHEN old.search_text IS NOT new.search_text AND NOT EXISTS (SELECT 1 FROM message_search_pending WHERE message_rowid = new.rowid) BEGIN
    INSERT INTO message_search(message_search, rowid, search_text) SELECT 'delete', old.rowid, old.search_text WHERE old.search_text <> '';
    INSERT INTO message_search(rowid, search_text) SELECT new.rowid, new.search_text WHERE new.search_text <> '';
  END;
  `,  // 15: sessions an administrator's \`sign_out\` revoked (docs/protocol.md
  // "Commands"), kept until they would have expired: a request that still
  // presents one (a device offline at the time, or between two long-polls)
  // hears why with its 401, not only that it was refused.
  `
  CREATE TABLE revoked_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    command_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX revoked_sessions_expires ON revoked_sessions(expires_at);
  `,
];

/**
 * Runs every pending migration, each in its own BEGIN IMMEDIATE transaction.
 * The version is read again inside each transaction: several processes
 * starting on one fresh DATA_DIR queue on the write lock, and whoever comes
 * second must see what the first one committed instead of re-running it.
 */
export function migrate(db: Database.Database): void {
  // Migration 7 fills search_text with the server's own normalisation (JS), not an SQL approximation of it.
  db.function("search_normalize", { deterministic: true }, (body: unknown) => searchNormalize(String(body)));
  const readVersion = () => db.pragma("user_version", { simple: true }) as number;
  const tooNew = (current: number) =>
    new Error(`Database schema version ${current} is newer than this server (${MIGRATIONS.length}); upgrade the server.`);
  // Fail fast, without taking the write lock, on a database from a newer server.
  if (readVersion() > MIGRATIONS.length) throw tooNew(readVersion());
  const step = db.transaction((): boolean => {
    const current = readVersion();
    if (current > MIGRATIONS.length) throw tooNew(current);
    if (current === MIGRATIONS.length) return false;
    db.exec(MIGRATIONS[current]!);
    // user_version cannot be bound as a parameter; the value is our own integer.
    db.pragma(`user_version = ${current + 1}`);
    return true;
  });
  while (step.immediate()) {
    // one migration per transaction, until none is pending
  }
}
