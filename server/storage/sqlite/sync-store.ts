import type Database from "better-sqlite3";
import { DOMAINS, type Domain, type Entry, type Message, type Versions, zeroVersions } from "../../../shared/protocol/index.js";
import { type AppendBatch, entryData } from "../append-batch.js";
import { type StampRow, toStamp } from "../rows.js";
import type { EntryLog, EntryStamp, MessageRef, NewEntry } from "../tx.js";

interface EntryRow {
  v: number;
  k: string;
  at: number;
  data: string;
}

/**
 * Heads, entries (the ring) and device acks. Appending runs inside the write
 * transaction, which holds the whole database: bumping the head and inserting
 * the entry together is what keeps versions contiguous and unrepeated.
 */
export class SyncStore implements EntryLog {
  /** Trim amortised: one range delete per this many appends to a (user, domain). */
  private readonly trimEvery: number;
  private readonly s;
  /** The running write's batch (the engine runs one task at a time); null outside a write. */
  batch: AppendBatch | null = null;

  constructor(
    db: Database.Database,
    readonly ring: number,
  ) {
    this.trimEvery = Math.max(1, Math.min(100, ring));
    this.s = {
      bumpHead: db.prepare<[string, string], { head: number }>(
        `INSERT INTO heads (user_id, domain, head) VALUES (?, ?, 1)
         ON CONFLICT (user_id, domain) DO UPDATE SET head = head + 1 RETURNING head`,
      ),
      insertEntry: db.prepare(
        `INSERT INTO entries (user_id, domain, v, k, at, data, conversation_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      trim: db.prepare(`DELETE FROM entries WHERE user_id = ? AND domain = ? AND v <= ?`),
      head: db.prepare<[string, string], { head: number }>(`SELECT head FROM heads WHERE user_id = ? AND domain = ?`),
      heads: db.prepare<[string], { domain: string; head: number }>(`SELECT domain, head FROM heads WHERE user_id = ?`),
      entries: db.prepare<[string, string, number, number], EntryRow>(
        `SELECT v, k, at, data FROM entries WHERE user_id = ? AND domain = ? AND v > ? ORDER BY v LIMIT +?`,
      ),
      acks: db.prepare<[string], { domain: string; v: number }>(`SELECT domain, v FROM device_acks WHERE device_id = ?`),
      setAck: db.prepare(
        `INSERT INTO device_acks (device_id, domain, v) VALUES (?, ?, ?)
         ON CONFLICT (device_id, domain) DO UPDATE SET v = max(v, excluded.v)`,
      ),
      stamps: db.prepare<[string, string, number, number, number], StampRow>(
        `SELECT v, k, at, CASE k WHEN 'msg' THEN conversation_id END AS conversation_id, CASE k WHEN 'msg' THEN seq END AS seq
         FROM entries WHERE user_id = ? AND domain = ? AND v > ? AND v <= ? ORDER BY v DESC LIMIT +?`,
      ),
      msgMaxSeqs: db.prepare<[string, number, number], { conversation_id: string; seq: number }>(
        `SELECT conversation_id, max(seq) AS seq FROM entries
         WHERE user_id = ? AND domain = 'chat' AND v > ? AND v <= ? AND k = 'msg'
         GROUP BY conversation_id`,
      ),
      // By the partial index entries_message (conversation_id, seq); '' is every user.
      rewriteMessage: db.prepare<{ conv: string; seq: number; user: string; msg: string; last: string }>(
        `UPDATE entries SET data = CASE k WHEN 'msg' THEN @msg ELSE json_set(data, '$.summary.lastMessage', json(@last)) END
         WHERE conversation_id = @conv AND seq = @seq AND k IN ('msg', 'conv') AND (@user = '' OR user_id = @user)`,
      ),
    };
  }

  append(entries: readonly NewEntry[], at: number): Entry[] {
    const batch = this.batch;
    if (!batch) throw new Error("Entries are appended only inside a write.");
    const data = entryData(entries);
    return entries.map((e, i) => {
      const { head: v } = this.s.bumpHead.get(e.userId, e.d)!;
      this.s.insertEntry.run(e.userId, e.d, v, e.k, at, data[i], e.ref?.conversationId ?? null, e.ref?.seq ?? null);
      if (v % this.trimEvery === 0 && v > this.ring) this.s.trim.run(e.userId, e.d, v - this.ring);
      const entry: Entry = { d: e.d, v, k: e.k, at, data: e.data };
      batch.add(e.userId, entry);
      return entry;
    });
  }

  head(userId: string, d: Domain): number {
    return this.s.head.get(userId, d)?.head ?? 0;
  }

  heads(userId: string): Versions {
    const heads = zeroVersions();
    for (const row of this.s.heads.all(userId)) {
      if ((DOMAINS as readonly string[]).includes(row.domain)) heads[row.domain as Domain] = row.head;
    }
    return heads;
  }

  range(userId: string, d: Domain, after: number, limit: number): Entry[] {
    return this.s.entries.all(userId, d, after, limit).map((r): Entry => ({ d, v: r.v, k: r.k, at: r.at, data: JSON.parse(r.data) as unknown }));
  }

  acks(deviceId: string): Versions {
    const acks = zeroVersions();
    for (const row of this.s.acks.all(deviceId)) {
      if ((DOMAINS as readonly string[]).includes(row.domain)) acks[row.domain as Domain] = row.v;
    }
    return acks;
  }

  setAck(deviceId: string, d: Domain, v: number): void {
    this.s.setAck.run(deviceId, d, v);
  }

  ackedEntries(userId: string, d: Domain, after: number, upTo: number, limit: number): EntryStamp[] {
    return this.s.stamps.all(userId, d, after, upTo, limit).reverse().map((r) => toStamp(d, r));
  }

  messageSeqsBetween(userId: string, after: number, upTo: number): MessageRef[] {
    return this.s.msgMaxSeqs.all(userId, after, upTo).map((r) => ({ conversationId: r.conversation_id, seq: r.seq }));
  }

  rewriteMessage(ref: MessageRef, message: Message, userId: string | null): void {
    const last = JSON.stringify(message);
    this.s.rewriteMessage.run({ conv: ref.conversationId, seq: ref.seq, user: userId ?? "", msg: JSON.stringify({ message }), last });
  }
}
