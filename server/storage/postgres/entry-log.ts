import { DOMAINS, type Domain, type Entry, type Message, type Versions, zeroVersions } from "../../../shared/protocol/index.js";
import { type AppendBatch, entryData } from "../append-batch.js";
import { type StampRow, toStamp } from "../rows.js";
import type { EntryLog, EntryStamp, MessageRef, NewEntry } from "../tx.js";
import { type Db, prepared } from "./db.js";

interface EntryRow {
  v: number;
  k: string;
  at: number;
  data: string;
}

/** One (user, domain) an append touches: how many entries it gets, and (once bumped) its new head. */
interface Group {
  userId: string;
  d: Domain;
  n: number;
  head: number;
  /** Its place among the append's groups (1-based): APPEND's entries name their group by it. */
  i: number;
}

/**
 * Bumps the heads of every (user, domain) of one append in one statement,
 * each by its number of entries, and answers the new heads.
 *
 * Lock order. Every append locks its heads rows in one global order,
 * (user_id, domain) in byte order, and holds them until commit, so two
 * appends that share users, in whatever order their callers listed them,
 * cannot wait for each other in a cycle: each waits only for a row above
 * every row it already holds. The order is set by the ORDER BY: INSERT …
 * SELECT runs as ModifyTable over Sort over the unnest, and the executor
 * pulls one sorted row at a time and finishes it (the ON CONFLICT path locks
 * the existing row, waiting for its holder if need be; the insert path, for
 * a head not there yet, waits on the other inserter's unique-index entry)
 * before pulling the next one. docs/postgres-plans.md shows the plan. The keys are
 * distinct (grouped first), so no row is touched twice, which ON CONFLICT
 * DO UPDATE would refuse.
 *
 * The rules take their other locks first, in the order storage/tx.ts
 * documents (device, user, item or order, conversation in nextSeq, member
 * rows), and append once where they can, so heads come last. The exceptions
 * (an order step also tells the other buyers of the item, a second append
 * with users below ones already held) can still meet another transaction in
 * a cycle: PostgreSQL then aborts one with 40P01 and the engine runs it
 * again (the contract tests check that the common paths cause none).
 */
const BUMP_HEADS = `
  INSERT INTO heads (user_id, domain, head)
  SELECT u, d, n FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(u, d, n)
  ORDER BY u COLLATE "C", d COLLATE "C"
  ON CONFLICT (user_id, domain) DO UPDATE SET head = heads.head + excluded.head
  RETURNING user_id, domain, head`;

/**
 * One append in one statement (issue 16: a round trip less per append): the
 * heads bumped as in BUMP_HEADS (same ModifyTable over Sort, so the same lock
 * order), and every entry inserted with its version from its (user, domain)'s
 * new head: the group's `o`-th entry (1-based, in the order given) gets
 * head - n + o, the versions the heads' bump reserved. Answers the new heads.
 * The entries' $4 is each entry's group (an index into $1..$3, 1-based).
 */
const APPEND = `
  WITH h AS (${BUMP_HEADS}),
  g AS (SELECT u, d, n, i FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS g(u, d, n, i)),
  e AS (
    INSERT INTO entries (user_id, domain, v, k, at, data, conversation_id, seq)
    SELECT g.u, g.d, h.head - g.n + t.o, t.k, $6, t.data, t.c, t.s
    FROM unnest($4::bigint[], $5::bigint[], $7::text[], $8::text[], $9::text[], $10::bigint[]) AS t(g, o, k, data, c, s)
    JOIN g ON g.i = t.g
    JOIN h ON h.user_id = g.u AND h.domain = g.d
  )
  SELECT user_id, domain, head FROM h`;

/** The entries carrying one message (by the partial index entries_message), every user's or one user's. */
const REWRITE_MESSAGE = `
  UPDATE entries SET data = CASE WHEN k = 'msg' THEN $3 ELSE jsonb_set(data::jsonb, '{summary,lastMessage}', $4::jsonb)::text END
  WHERE conversation_id = $1 AND seq = $2 AND k IN ('msg', 'conv') AND ($5::text IS NULL OR user_id = $5)`;

/** Trims the rings of the (user, domain)s whose head crossed a multiple of trimEvery. */
const TRIM = `
  DELETE FROM entries e
  USING unnest($1::text[], $2::text[], $3::bigint[]) AS t(u, d, upto)
  WHERE e.user_id = t.u AND e.domain = t.d AND e.v <= t.upto`;

/**
 * Heads, the ring of entries per (user, domain), and device acks.
 *
 * Trimming: amortised inside the appending transaction, as in the embedded
 * engine. When a head crosses a multiple of min(100, ring), the entries more
 * than `ring` below it are deleted (about min(100, ring) rows at a time).
 * That DELETE touches only the rows of the (user, domain)s being appended
 * to, whose heads this transaction already holds, so it waits for nobody
 * and makes nobody wait: other appenders of those users queue on the heads
 * rows anyway, readers see their snapshot (MVCC). A background sweep would
 * need its own schedule and coordination between processes for no gain.
 */
export class PgEntryLog implements EntryLog {
  private readonly trimEvery: number;

  constructor(
    private readonly db: Db,
    /** The write's batch; null in reads, where appending is refused. */
    private readonly batch: AppendBatch | null,
    readonly ring: number,
  ) {
    this.trimEvery = Math.max(1, Math.min(100, ring));
  }

  async append(entries: readonly NewEntry[], at: number): Promise<Entry[]> {
    if (this.batch === null) throw new Error("Entries can only be appended inside a write.");
    if (entries.length === 0) return [];

    const groups = new Map<string, Group>();
    // Each entry's group, and its place in it (1-based, in the order given): its version will be head - n + o.
    const keyed = entries.map((e) => {
      const key = `${e.d}:${e.userId}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { userId: e.userId, d: e.d, n: 0, head: 0, i: groups.size + 1 }));
      return { group, o: ++group.n };
    });

    const list = [...groups.values()];
    const { rows } = await this.db.query<{ user_id: string; domain: string; head: number }>(prepared(APPEND), [
      list.map((g) => g.userId),
      list.map((g) => g.d),
      list.map((g) => g.n),
      keyed.map((k) => k.group.i),
      keyed.map((k) => k.o),
      at,
      entries.map((e) => e.k),
      entryData(entries),
      entries.map((e) => e.ref?.conversationId ?? null),
      entries.map((e) => e.ref?.seq ?? null),
    ]);
    for (const row of rows) groups.get(`${row.domain}:${row.user_id}`)!.head = row.head;
    const appended = entries.map((e, i): Entry => {
      const { group, o } = keyed[i]!;
      return { d: e.d, v: group.head - group.n + o, k: e.k, at, data: e.data };
    });

    const trims = list.filter(
      (g) => g.head > this.ring && Math.floor(g.head / this.trimEvery) > Math.floor((g.head - g.n) / this.trimEvery),
    );
    if (trims.length > 0) {
      await this.db.query(TRIM, [trims.map((g) => g.userId), trims.map((g) => g.d), trims.map((g) => g.head - this.ring)]);
    }

    entries.forEach((e, i) => this.batch!.add(e.userId, appended[i]!));
    return appended;
  }

  async head(userId: string, d: Domain): Promise<number> {
    const { rows } = await this.db.query<{ head: number }>(`SELECT head FROM heads WHERE user_id = $1 AND domain = $2`, [userId, d]);
    return rows[0]?.head ?? 0;
  }

  async heads(userId: string): Promise<Versions> {
    const { rows } = await this.db.query<{ domain: string; head: number }>(prepared(`SELECT domain, head FROM heads WHERE user_id = $1`), [userId]);
    return versions(rows.map((r) => [r.domain, r.head]));
  }

  async range(userId: string, d: Domain, after: number, limit: number): Promise<Entry[]> {
    const { rows } = await this.db.query<EntryRow>(
      `SELECT v, k, at, data FROM entries WHERE user_id = $1 AND domain = $2 AND v > $3 AND v <= $4 ORDER BY v`,
      [userId, d, after, after + limit],
    );
    return rows.map((r): Entry => ({ d, v: r.v, k: r.k, at: r.at, data: JSON.parse(r.data) as unknown }));
  }

  async acks(deviceId: string): Promise<Versions> {
    const { rows } = await this.db.query<{ domain: string; v: number }>(prepared(`SELECT domain, v FROM device_acks WHERE device_id = $1`), [deviceId]);
    return versions(rows.map((r) => [r.domain, r.v]));
  }

  async setAck(deviceId: string, d: Domain, v: number): Promise<void> {
    await this.db.query(
      prepared(`INSERT INTO device_acks (device_id, domain, v) VALUES ($1, $2, $3)
       ON CONFLICT (device_id, domain) DO UPDATE SET v = GREATEST(device_acks.v, excluded.v)`),
      [deviceId, d, v],
    );
  }

  async ackedEntries(userId: string, d: Domain, after: number, upTo: number, limit: number): Promise<EntryStamp[]> {
    const { rows } = await this.db.query<StampRow>(
      prepared(`SELECT v, k, at, CASE WHEN k = 'msg' THEN conversation_id END AS conversation_id, CASE WHEN k = 'msg' THEN seq END AS seq
       FROM entries WHERE user_id = $1 AND domain = $2 AND v > $3 AND v <= $4 ORDER BY v DESC LIMIT $5`),
      [userId, d, after, upTo, limit],
    );
    return rows.reverse().map((r) => toStamp(d, r));
  }

  async messageSeqsBetween(userId: string, after: number, upTo: number): Promise<MessageRef[]> {
    const { rows } = await this.db.query<{ conversation_id: string; seq: number }>(
      prepared(`SELECT conversation_id, max(seq) AS seq FROM entries
       WHERE user_id = $1 AND domain = 'chat' AND v > $2 AND v <= $3 AND k = 'msg' AND conversation_id IS NOT NULL
       GROUP BY conversation_id`),
      [userId, after, upTo],
    );
    return rows.map((r) => ({ conversationId: r.conversation_id, seq: r.seq }));
  }

  async rewriteMessage(ref: MessageRef, message: Message, userId: string | null): Promise<void> {
    await this.db.query(REWRITE_MESSAGE, [ref.conversationId, ref.seq, JSON.stringify({ message }), JSON.stringify(message), userId]);
  }
}

function versions(pairs: [string, number][]): Versions {
  const out = zeroVersions();
  for (const [domain, v] of pairs) {
    if ((DOMAINS as readonly string[]).includes(domain)) out[domain as Domain] = v;
  }
  return out;
}
