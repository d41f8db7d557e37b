import type { ConsumerRegistry } from "../../shared/sync/consumers.js";
import type { SyncStore } from "../../shared/sync/types.js";
import { DOMAINS, zeroVersions, type Domain, type Entry, type Versions } from "../../shared/protocol/index.js";
import type { AnySnapshot } from "../api/lenient.js";
import type { CourierDb } from "./database.js";

/**
 * The engine's durable state in IndexedDB. Consumers and the consumed
 * version commit in ONE transaction: after a crash either both the rows and
 * the version are there, or neither is, so an entry is applied exactly once.
 */
export class DexieSyncStore implements SyncStore {
  constructor(
    private readonly db: CourierDb,
    private readonly registry: ConsumerRegistry,
    private readonly me: string,
    /** Told of entries before their transaction starts; what it returns is told whether it committed (landing.ts). */
    private readonly onApplying?: (entries: readonly Entry[]) => ((committed: boolean) => void) | undefined,
  ) {}

  async loadVersions(): Promise<Versions> {
    const versions = zeroVersions();
    for (const row of await this.db.versions.toArray()) if (DOMAINS.includes(row.d)) versions[row.d] = row.v;
    return versions;
  }

  async apply(d: Domain, entries: Entry[], version: number): Promise<void> {
    const db = this.db;
    const ended = this.onApplying?.(entries);
    try {
      await db.transaction("rw", db.allTables, async () => {
        await this.registry.dispatch(d, entries);
        // NOTE: a second tab of the same profile syncs the same database; the
        // stored version never moves back because the other tab got further.
        const stored = (await db.versions.get(d))?.v ?? 0;
        await db.versions.put({ d, v: Math.max(stored, version) });
      });
    } catch (error) {
      ended?.(false);
      throw error;
    }
    ended?.(true);
  }

  /** Takes a snapshot read with lenient.ts: messages of unknown kinds are stored too. */
  async applySnapshot(snapshot: AnySnapshot): Promise<void> {
    const db = this.db;
    const messages = Object.values(snapshot.messages).flat();
    const mine = messages.filter((m) => m.senderId === this.me).map((m) => m.clientMsgId);
    await db.transaction("rw", db.allTables, async () => {
      await db.conversations.clear();
      await db.messages.clear();
      await db.conversations.bulkPut(snapshot.conversations);
      await db.messages.bulkPut(messages);
      await db.outbox.bulkDelete(mine);
      await db.versions.bulkPut(DOMAINS.map((d) => ({ d, v: snapshot.heads[d] })));
    });
  }
}
