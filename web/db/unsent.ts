import { allDrafts, clearAllDrafts, loadDraft, saveDraft } from "../lib/drafts.js";
import { CourierDb, deleteUserDb } from "./database.js";
import type { DraftRow, OutboxRow } from "./records.js";

/**
 * What an account has not sent from this browser: messages waiting in the
 * outbox and composer drafts. Signing out never drops them silently. They
 * stay in that account's own database (another account opens its own, so it
 * never sees nor sends them) until the account signs in here again; then the
 * drafts go back to the composer and the outbox sends as it always does, in
 * order, under the same clientMsgIds (the server drops a repeat).
 *
 *   sign out ──nothing unsent──────────────────────────────▶ database deleted
 *      │ something unsent: the dialog (features/account)
 *      ├─ Send first ──outbox empty──▶ sign out (drafts kept, if any)
 *      ├─ Sign out anyway ──▶ keepOnlyUnsent: history dropped, outbox + drafts kept
 *      └─ Delete them ──▶ database deleted
 *   session ended by the server ──▶ history kept (as before), drafts move in
 *   next sign-in of that account ──▶ restoreDrafts; the outbox flushes
 */

/**
 * What this browser keeps of an account when its session ends:
 * - "keep-all": the server ended it (expired, revoked); everything stays for the next sign-in.
 * - "keep-unsent": signed out; history goes, unsent messages and drafts stay.
 * - "discard": signed out and the person chose to delete what was not sent.
 */
export type LocalData = "keep-all" | "keep-unsent" | "discard";

/** Where drafts live while signed in (localStorage by default; tests pass their own). */
type DraftStorage = Parameters<typeof allDrafts>[0];

/**
 * Puts an ended session's data away. Drafts are keyed by conversation, not
 * account: they leave the storage so the next account here never sees them,
 * once they are safely in the account's database.
 */
export async function putAway(userId: string, local: LocalData, storage?: DraftStorage): Promise<void> {
  if (local === "discard") await deleteUserDb(userId);
  else if (local === "keep-unsent") await keepOnlyUnsent(userId, allDrafts(storage));
  else await stashDrafts(userId, allDrafts(storage));
  clearAllDrafts(storage);
}

/** The account signed in again: drafts kept at sign-out go back to the composer, never over text typed since. */
export async function restoreDrafts(db: CourierDb, storage?: DraftStorage): Promise<void> {
  const drafts = await db.transaction("rw", db.drafts, async () => {
    const kept = await db.drafts.toArray();
    await db.drafts.clear();
    return kept;
  });
  for (const { conversationId, text } of drafts) if (!loadDraft(conversationId, storage)) saveDraft(conversationId, text, storage);
}

/** Messages waiting to be sent (oldest first) and drafts: what the sign-out dialog counts. */
export interface Unsent {
  messages: OutboxRow[];
  drafts: DraftRow[];
}

export async function unsentIn(db: CourierDb, drafts: DraftRow[]): Promise<Unsent> {
  return { messages: await db.outbox.orderBy("createdAt").toArray(), drafts };
}

export function isEmpty(unsent: Unsent): boolean {
  return unsent.messages.length === 0 && unsent.drafts.length === 0;
}

/**
 * Sign-out that keeps what was not sent: the account's history leaves this
 * browser, its outbox stays and `drafts` move in, all in one transaction (a
 * message another tab adds meanwhile is kept too). With nothing left the
 * database is deleted. Opens its own handle: the session's is closed by then.
 */
async function keepOnlyUnsent(userId: string, drafts: DraftRow[]): Promise<{ messages: number; drafts: number }> {
  const kept = await withDb(userId, (db) =>
    db.transaction("rw", [...db.allTables, db.drafts], async () => {
      await Promise.all([db.messages.clear(), db.conversations.clear(), db.versions.clear()]);
      await db.drafts.bulkPut(drafts);
      return { messages: await db.outbox.count(), drafts: await db.drafts.count() };
    }),
  );
  // NOTE: a tab of the same account that adds a message in the moment between
  // the count and the deletion loses it; every tab of the account is told to
  // sign out (session-manager.ts), so that moment is one of a tab already leaving.
  if (kept.messages === 0 && kept.drafts === 0) await deleteUserDb(userId);
  return kept;
}

/** The server ended the session: local data stays, and the drafts move in. */
async function stashDrafts(userId: string, drafts: DraftRow[]): Promise<void> {
  if (drafts.length === 0) return;
  await withDb(userId, (db) => db.drafts.bulkPut(drafts));
}

async function withDb<T>(userId: string, use: (db: CourierDb) => Promise<T>): Promise<T> {
  const db = new CourierDb(userId);
  try {
    return await use(db);
  } finally {
    db.close();
  }
}
