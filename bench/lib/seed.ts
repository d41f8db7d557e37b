import { randomUUID } from "node:crypto";
import { SESSION_TTL_MS, type CreateConversation } from "../../shared/protocol/index.js";
import { createSession, createUser } from "../../server/auth/accounts.js";
import { hashPassword } from "../../server/auth/passwords.js";
import { hashToken, newToken } from "../../server/auth/tokens.js";
import { openConversation } from "../../server/conversations/conversations.js";
import { sendMessage } from "../../server/messages/messages.js";
import { SqliteEngine } from "../../server/storage/sqlite/engine.js";
import { Storage } from "../../server/storage/storage.js";

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
 * Seeds a server's database *before* the server starts, through the server's
 * own rules and storage (the same code the running server uses), many rows
 * per transaction.
 *
 * Why not the HTTP API: registering costs one scrypt hash (≈50 ms of CPU)
 * per account, so 10,000 accounts would take minutes; and 50,000 messages
 * over `POST /api/messages` take ~30 s that measure nothing of interest.
 * Sends under load and the 10,000-entry catch-up still go through the API.
 */
export class Seeder {
  /** Seeded rows are stamped from an hour ago onwards, one ms apart, so lists sort as they would live. */
  private at = Date.now() - 3_600_000;

  constructor(private readonly storage: Storage) {}

  /** `ringCapacity` must match the server's RING_CAPACITY (trimming happens on append). */
  static open(dataDir: string, ringCapacity = 2000): Seeder {
    return new Seeder(new Storage(SqliteEngine.open({ dataDir, ringCapacity })));
  }

  async users(count: number, prefix: string): Promise<SeededUser[]> {
    passwordHash ??= hashPassword(BENCH_PASSWORD);
    const hash = await passwordHash;
    const tag = randomUUID().slice(0, 6);
    const out: SeededUser[] = [];
    for (let start = 0; start < count; start += 5000) {
      await this.storage.write(async (tx) => {
        for (let i = start; i < Math.min(count, start + 5000); i++) {
          const username = `${prefix}_${tag}_${i}`.slice(0, 32);
          const displayName = `${prefix} ${i}`;
          const user = await createUser(tx, { username, displayName, passwordHash: hash, at: this.at });
          const token = newToken();
          await createSession(tx, { tokenHash: hashToken(token), userId: user.id, deviceId: null, at: this.at, expiresAt: this.at + SESSION_TTL_MS });
          out.push({ userId: user.id, username, displayName, token, deviceId: randomUUID() });
        }
      });
    }
    return out;
  }

  private async open(userId: string, input: CreateConversation): Promise<string> {
    const txAt = this.at++;
    return this.storage.write(async (tx) => (await openConversation(tx, userId, input, txAt)).summary.conversationId);
  }

  /** One direct conversation per pair; returns their ids in order. */
  async direct(pairs: Array<[SeededUser, SeededUser]>): Promise<string[]> {
    const ids: string[] = [];
    for (const [a, b] of pairs) ids.push(await this.open(a.userId, { type: "direct", peerId: b.userId }));
    return ids;
  }

  /** The members follow the creator first, so they join at once (a stranger's group would be a request: docs/groups.md). */
  async group(creator: SeededUser, members: SeededUser[], title: string): Promise<string> {
    await this.storage.write(async (tx) => {
      for (const m of members) if (m.userId !== creator.userId) await tx.follows.insert(m.userId, creator.userId, this.at, null);
    });
    return this.open(creator.userId, { type: "group", title, memberIds: members.map((m) => m.userId) });
  }

  /** Text messages, in the order given, `perTransaction` per transaction. */
  async messages(list: Array<{ sender: SeededUser; conversationId: string; body: string }>, perTransaction = 2000): Promise<void> {
    for (let start = 0; start < list.length; start += perTransaction) {
      await this.storage.write(async (tx) => {
        for (const m of list.slice(start, start + perTransaction)) {
          const input = { clientMsgId: randomUUID(), conversationId: m.conversationId, kind: "text" as const, body: m.body };
          await sendMessage(tx, m.sender.userId, input, this.at++);
        }
      });
    }
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}
