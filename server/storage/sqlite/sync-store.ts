import type Database from "better-sqlite3";
import { DOMAINS, type Domain, type Entry, type PullResponse, type Versions, zeroVersions } from "../../../shared/protocol/index.js";
import type { AppendBatch } from "./append-batch.js";

interface EntryRow {
  v: number;
  k: string;
  at: number;
  data: string;
}

/** A msg entry's place in its conversation, kept beside the entry for receipts. */
export interface MessageRef {
  conversationId: string;
  seq: number;
}

/**
 * Heads, entries (the ring) and device acks. `append` must run inside the
 * caller's transaction: bumping the head and inserting the entry together is
 * what keeps versions contiguous and unrepeated.
 */
export class SyncStore {
  /** Trim amortised: one range delete per this many appends to a (user, domain). */
  private readonly trimEvery: number;
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly ring: number,
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
        `SELECT v, k, at, data FROM entries WHERE user_id = ? AND domain = ? AND v > ? ORDER BY v LIMIT ?`,
      ),
      acks: db.prepare<[string], { domain: string; v: number }>(`SELECT domain, v FROM device_acks WHERE device_id = ?`),
      setAck: db.prepare(
        `INSERT INTO device_acks (device_id, domain, v) VALUES (?, ?, ?)
         ON CONFLICT (device_id, domain) DO UPDATE SET v = max(v, excluded.v)`,
      ),
      msgMaxSeqs: db.prepare<[string, number, number], { conversation_id: string; seq: number }>(
        `SELECT conversation_id, max(seq) AS seq FROM entries
         WHERE user_id = ? AND domain = 'chat' AND v > ? AND v <= ? AND k = 'msg'
         GROUP BY conversation_id`,
      ),
    };
  }

  append(batch: AppendBatch, userId: string, d: Domain, k: string, data: unknown, at: number, ref?: MessageRef): Entry {
    const { head: v } = this.s.bumpHead.get(userId, d)!;
    this.s.insertEntry.run(userId, d, v, k, at, JSON.stringify(data), ref?.conversationId ?? null, ref?.seq ?? null);
    if (v % this.trimEvery === 0 && v > this.ring) this.s.trim.run(userId, d, v - this.ring);
    const entry: Entry = { d, v, k, at, data };
    batch.add(userId, entry);
    return entry;
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

  /**
   * Entries after `after`, contiguous from `after + 1`, or `reset`. The ring's
   * nominal size is not trusted to say what is kept: entries trimmed under a
   * smaller RING_CAPACITY stay gone after a restart with a larger one, so the
   * first kept entry decides. Never a gap.
   */
  pull(userId: string, d: Domain, after: number, limit: number): PullResponse {
    const head = this.head(userId, d);
    if (after < head - this.ring) return { d, entries: [], head, reset: true };
    if (after >= head) return { d, entries: [], head, reset: false };
    const rows = this.s.entries.all(userId, d, after, limit);
    if (rows[0]?.v !== after + 1) return { d, entries: [], head, reset: true };
    const entries = rows.map((r): Entry => ({
      d,
      v: r.v,
      k: r.k,
      at: r.at,
      data: JSON.parse(r.data) as unknown,
    }));
    return { d, entries, head, reset: false };
  }

  deviceAcks(deviceId: string): Versions {
    const acks = zeroVersions();
    for (const row of this.s.acks.all(deviceId)) {
      if ((DOMAINS as readonly string[]).includes(row.domain)) acks[row.domain as Domain] = row.v;
    }
    return acks;
  }

  /** Monotonic: an older version never replaces a newer one. */
  setAck(deviceId: string, d: Domain, v: number): void {
    this.s.setAck.run(deviceId, d, v);
  }

  /** Per conversation, the highest message seq among the user's msg entries in (after, upTo]. */
  messageSeqsBetween(userId: string, after: number, upTo: number): MessageRef[] {
    return this.s.msgMaxSeqs.all(userId, after, upTo).map((r) => ({ conversationId: r.conversation_id, seq: r.seq }));
  }
}
