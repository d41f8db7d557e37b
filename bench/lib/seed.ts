import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { SESSION_TTL_MS, type CreateConversation } from "../../shared/protocol/index.js";
import { hashPassword } from "../../server/auth/passwords.js";
import { hashToken, newToken } from "../../server/auth/tokens.js";
import { AppendBatch } from "../../server/storage/sqlite/append-batch.js";
import * as chat from "../../server/storage/sqlite/chat-ops.js";
import { openDatabase } from "../../server/storage/sqlite/open.js";
import { createStores, type Stores } from "../../server/storage/sqlite/stores.js";

export interface SeededUser {
  userId: string;
  username: string;
  displayName: string;
  /** A live session token (Bearer, or the session cookie's value). */
  token: string;
  /** A device id for this user's client; registered when the client connects. */
  deviceId: string;
}

export const BENCH_PASSWORD = "bench password";
let passwordHash: Promise<string> | null = null;

/**
 * Seeds a server's data directory *before* the server starts, through the
 * server's own storage code (server/storage/sqlite: the same statements and
 * chat operations the running server uses), many rows per transaction.
 *
 * Why not the HTTP API: registering costs one scrypt hash (≈50 ms of CPU)
 * per account, so 10,000 accounts would take minutes; and 50,000 messages
 * over `POST /api/messages` take ~30 s that measure nothing of interest.
 * Sends under load and the 10,000-entry catch-up still go through the API.
 * `synchronous = OFF` while seeding only (the server reopens with FULL).
 */
export class Seeder {
  private readonly st: Stores;
  /** Seeded rows are stamped from an hour ago onwards, one ms apart, so lists sort as they would live. */
  private at = Date.now() - 3_600_000;

  private constructor(
    private readonly db: Database.Database,
    ringCapacity: number,
  ) {
    db.pragma("synchronous = OFF");
    this.st = createStores(db, ringCapacity);
  }

  /** `ringCapacity` must match the server's RING_CAPACITY (trimming happens on append). */
  static open(dataDir: string, ringCapacity = 2000): Seeder {
    return new Seeder(openDatabase(dataDir), ringCapacity);
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  async users(count: number, prefix: string): Promise<SeededUser[]> {
    passwordHash ??= hashPassword(BENCH_PASSWORD);
    const hash = await passwordHash;
    const tag = randomUUID().slice(0, 6);
    const out: SeededUser[] = [];
    for (let start = 0; start < count; start += 5000) {
      this.tx(() => {
        for (let i = start; i < Math.min(count, start + 5000); i++) {
          const username = `${prefix}_${tag}_${i}`.slice(0, 32);
          const displayName = `${prefix} ${i}`;
          const user = this.st.users.createUser({ username, displayName, passwordHash: hash, at: this.at });
          const token = newToken();
          this.st.users.createSession({ tokenHash: hashToken(token), userId: user.id, deviceId: null, at: this.at, expiresAt: this.at + SESSION_TTL_MS });
          out.push({ userId: user.id, username, displayName, token, deviceId: randomUUID() });
        }
      });
    }
    return out;
  }

  private open(userId: string, input: CreateConversation): string {
    return chat.openConversation(this.st, new AppendBatch(), userId, input, this.at++).conv.id;
  }

  /** One direct conversation per pair; returns their ids in order. */
  direct(pairs: Array<[SeededUser, SeededUser]>): string[] {
    return this.tx(() => pairs.map(([a, b]) => this.open(a.userId, { type: "direct", peerId: b.userId })));
  }

  group(creator: SeededUser, members: SeededUser[], title: string): string {
    return this.tx(() => this.open(creator.userId, { type: "group", title, memberIds: members.map((m) => m.userId) }));
  }

  /** Text messages, in the order given, `perTransaction` per transaction. */
  messages(list: Array<{ sender: SeededUser; conversationId: string; body: string }>, perTransaction = 2000): void {
    for (let start = 0; start < list.length; start += perTransaction) {
      this.tx(() => {
        for (const m of list.slice(start, start + perTransaction)) {
          const input = { clientMsgId: randomUUID(), conversationId: m.conversationId, kind: "text" as const, body: m.body };
          chat.sendMessage(this.st, new AppendBatch(), m.sender.userId, input, this.at++);
        }
      });
    }
  }

  close(): void {
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.close();
  }
}
