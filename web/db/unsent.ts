import { allDrafts, forgetDrafts, loadDraft, saveDraft } from "../lib/drafts.js";
import { CourierDb, deleteUserDb } from "./database.js";
import { forgetSession, profileUser } from "./device-db.js";
import type { DraftRow, OutboxRow } from "./records.js";

/**
 * What an account has not sent from this browser: messages waiting in the
 * outbox and composer drafts. Signing out never drops them silently. They
 * stay in that account's own database (another account opens its own, so it
 * never sees nor sends them) until the account signs in here again; then the
 * drafts go back to the composer and the outbox sends as it always does, in
 * order, under the same clientMsgIds (the server drops a repeat).
 *
 *   sign out ──nothing unsent──▶ history dropped (the emptied database stays)
 *      │ something unsent: the dialog (features/account)
 *      ├─ Send first ──outbox empty──▶ sign out (drafts kept, if any)
 *      ├─ Sign out anyway ──▶ keepOnlyUnsent: history dropped, outbox + drafts kept
 *      └─ Delete them ──▶ database deleted; every tab of the account follows (deletedUnsent)
 *   session ended by the server ──▶ history kept (as before), drafts move in
 *   next sign-in of that account ──▶ accountBack, restoreDrafts; the outbox flushes
 *
 * Other tabs of the account, and tabs that wake late, put the same session
 * away at their own pace; so nothing here deletes a database that a tab may
 * still write to, except when the person said "Delete them".
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
 * `userId`'s session ends in this tab: called at once, before anything is
 * awaited. Records "Delete them" for the account's other tabs, forgets the
 * profile's session and takes the drafts that are the account's. Drafts are
 * keyed by conversation, not account: those in storage are this account's
 * unless another account is signed in here by now (a tab that woke late);
 * then only this page's own are.
 */
export function sessionEnding(userId: string, local: LocalData, storage?: DraftStorage): DraftRow[] {
  if (local === "discard") deletedUnsent.mark(userId);
  const owner = profileUser();
  const anotherAccount = typeof owner === "string" && owner !== userId;
  const drafts = allDrafts(anotherAccount ? null : storage);
  forgetSession(userId);
  return drafts;
}

/**
 * Puts an ended session's data away, with the `drafts` sessionEnding took:
 * they move into the account's database (unless it is being deleted) and
 * leave the storage, so the next account here never sees them.
 */
export async function putAway(userId: string, local: LocalData, drafts: DraftRow[], storage?: DraftStorage): Promise<void> {
  const deleting = () => local === "discard" || deletedUnsent.has(userId);
  if (!deleting()) {
    if (local === "keep-unsent") await withDb(userId, (db) => keepOnlyUnsent(db, drafts));
    else if (drafts.length > 0) await withDb(userId, (db) => db.drafts.bulkPut(drafts));
  }
  // Asked again after writing: "Delete them" in another tab meanwhile wins.
  if (deleting()) await deleteUserDb(userId);
  forgetDrafts(drafts, storage);
}

/** The account signs in here again, before its database opens: a "Delete them" from before no longer applies. */
export function accountBack(userId: string): void {
  deletedUnsent.clear(userId);
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
 * browser, its outbox stays and `drafts` move in, all in one transaction. The
 * database stays even when nothing is left in it: deleting it after a count
 * would lose a message another tab of the account adds in between.
 */
async function keepOnlyUnsent(db: CourierDb, drafts: DraftRow[]): Promise<void> {
  await db.transaction("rw", [...db.allTables, db.drafts], async () => {
    await Promise.all([db.messages.clear(), db.conversations.clear(), db.versions.clear()]);
    await db.drafts.bulkPut(drafts);
  });
}

/** Opens its own handle: the session's is closed by then. */
async function withDb<T>(userId: string, use: (db: CourierDb) => Promise<T>): Promise<T> {
  const db = new CourierDb(userId);
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

/**
 * "Delete them and sign out", remembered in the profile's storage until the
 * account signs in here again: a slower tab of the account that puts its
 * session away after the database was deleted would otherwise create it
 * again with what it kept. Storage blocked: nothing is remembered.
 */
const deletedUnsent = {
  key: (userId: string) => `courier.deletedUnsent.${userId}`,
  has(userId: string): boolean {
    try {
      return localStorage.getItem(this.key(userId)) === "1";
    } catch {
      return false;
    }
  },
  mark(userId: string): void {
    try {
      localStorage.setItem(this.key(userId), "1");
    } catch {
      // see the doc comment
    }
  },
  clear(userId: string): void {
    try {
      localStorage.removeItem(this.key(userId));
    } catch {
      // see the doc comment
    }
  },
};
