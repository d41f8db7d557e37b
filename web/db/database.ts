import { Dexie, type EntityTable } from "dexie";
import { restartBackfill } from "../search/backfill.js";
import { searchIndexMiddleware } from "../search/local-index.js";
import type { Offer } from "../../shared/protocol/index.js";
import type { SafetyRow } from "../features/safety/blocks.js";
import type { CommandRow, DraftRow, OutboxPhotoRow, OutboxRow, StoredMessage, StoredSummary, VersionRow } from "./records.js";

/**
 * One IndexedDB database per signed-in user, so two people sharing a browser
 * profile never see each other's data and signing out can drop it whole.
 *
 * Schema history (newest first):
 * - 7 (catch-up, issue 16): no `clientMsgId` index on messages (nothing reads it; every
 *   row written paid an index entry for it). The upgrade only drops the index: rows stay.
 * - 6 (safety, issue 14): who I block, one row replaced whole (features/safety/blocks.ts).
 * - 5 (photos, issue 14): the photos of photo messages waiting in the outbox (Blobs), by message.
 * - 4 (offers, issue 14): offers by id, with their conversation (db/offers.ts).
 * - 3: the local search index (`*terms` on messages, kept by search/local-index.ts
 *   in the same transaction as every message write; `at` orders the rows stored
 *   before it for search/backfill.ts, which indexes them after the app opened:
 *   the upgrade itself computes nothing) and the commands run here.
 * - 2: drafts (kept here while the account is signed out: unsent.ts).
 * - 1: messages, conversations (summaries), versions, outbox.
 */
export class CourierDb extends Dexie {
  messages!: EntityTable<StoredMessage, "id">;
  conversations!: EntityTable<StoredSummary, "conversationId">;
  versions!: EntityTable<VersionRow, "d">;
  outbox!: EntityTable<OutboxRow, "clientMsgId">;
  drafts!: EntityTable<DraftRow, "conversationId">;
  commands!: EntityTable<CommandRow, "id">;
  offers!: EntityTable<Offer, "id">;
  outboxPhotos!: EntityTable<OutboxPhotoRow, "id">;
  safety!: EntityTable<SafetyRow, "key">;

  constructor(readonly userId: string) {
    super(dbNameFor(userId));
    this.version(1).stores({
      messages: "id, [conversationId+seq], clientMsgId",
      conversations: "conversationId",
      versions: "d",
      outbox: "clientMsgId, conversationId, createdAt",
    });
    this.version(2).stores({ drafts: "conversationId" });
    this.version(3)
      .stores({ messages: "id, [conversationId+seq], clientMsgId, *terms, at", commands: "id" })
      .upgrade(() => restartBackfill(userId));
    this.version(4).stores({ offers: "id, conversationId" }); // offers (issue 14)
    this.version(5).stores({ outboxPhotos: "id, clientMsgId" }); // photos (issue 14)
    this.version(6).stores({ safety: "key" }); // safety (issue 14)
    this.version(7).stores({ messages: "id, [conversationId+seq], *terms, at" }); // one index entry less per row (issue 16)
    this.use(searchIndexMiddleware);
  }

  /** Every table, for transactions that must see all of local state at once. */
  get allTables() {
    return [this.messages, this.conversations, this.versions, this.outbox, this.commands, this.offers, this.outboxPhotos, this.safety] as const;
  }
}

export function dbNameFor(userId: string): string {
  return `courier-${userId}`;
}

/** Drops a user's local data, unsent messages too (sign-out when the person chose to delete them). */
export async function deleteUserDb(userId: string): Promise<void> {
  await Dexie.delete(dbNameFor(userId));
}
