import { useLiveQuery } from "dexie-react-hooks";
import { useMemo } from "react";
import { blockListSchema, blocksEntrySchema, type Entry, type User } from "../../../shared/protocol/index.js";
import type { CourierDb } from "../../db/database.js";
import { t } from "../../i18n/index.js";
import type { Session } from "../../session.js";

/**
 * Who I block (docs/protocol.md "Safety (issue 14)"): one row in this
 * account's database, replaced whole by each `blocks` entry (system domain)
 * and by `GET /api/blocks` (a device that joined after the last change, or
 * after a snapshot, asks once per start). Groups hide their messages here;
 * direct and item chats show a banner instead of the composer.
 */
export interface SafetyRow {
  key: "blocks";
  userIds: string[];
}

const EMPTY: ReadonlySet<string> = new Set();

/** A batch of `blocks` entries: the newest well-formed one is the list (each carries all of it). */
export async function applyBlocks(db: CourierDb, entries: Entry[]): Promise<void> {
  for (const entry of [...entries].reverse()) {
    const parsed = blocksEntrySchema.safeParse(entry.data);
    if (!parsed.success) {
      console.warn(`courier: skipping malformed ${entry.d}:${entry.v} (${entry.k})`);
      continue;
    }
    await db.safety.put({ key: "blocks", userIds: parsed.data.userIds });
    return;
  }
}

/**
 * What a conversation shows of `messages`: in a group, nothing of the people
 * I block (system lines stay); a direct or item chat keeps everything (its
 * banner says it is blocked).
 */
export function visibleMessages<M extends { kind: string; senderId: string }>(messages: M[], blocked: ReadonlySet<string>, isGroup: boolean): M[] {
  return isGroup && blocked.size > 0 ? messages.filter((m) => m.kind === "system" || !blocked.has(m.senderId)) : messages;
}

/** The list's preview of a group whose newest message is from someone I block: it says so, never their text (in the app's language). */
export function blockedPreview(): string {
  return t("safety.blockedPreview");
}

export function blockedLast(summary: { conversation: { type: string }; lastMessage: { senderId: string; kind: string } | null }, blocked: ReadonlySet<string>): boolean {
  const last = summary.lastMessage;
  return summary.conversation.type === "group" && last !== null && last.kind !== "system" && blocked.has(last.senderId);
}

/** The ids I block, as held on this device (empty while reading). */
export function useBlockedIds(db: CourierDb): ReadonlySet<string> {
  return useStoredBlockedIds(db) ?? EMPTY;
}

/** The same, undefined until the device's copy has been read (the list shows the boot read's until then). */
export function useStoredBlockedIds(db: CourierDb): ReadonlySet<string> | undefined {
  const row = useLiveQuery(async () => (await db.safety.get("blocks")) ?? null, [db]);
  return useMemo(() => (row === undefined ? undefined : row ? new Set(row.userIds) : EMPTY), [row]);
}

/** The people I block, from the server; the device's copy is replaced with it. */
export async function fetchBlocked(session: Session): Promise<User[]> {
  const { users } = await session.api.http.request("GET", "/api/blocks", { schema: blockListSchema });
  await session.db.safety.put({ key: "blocks", userIds: users.map((u) => u.id) });
  return users;
}

/** Blocks or unblocks, then holds the server's list at once (its `blocks` entry, arriving later, says the same). */
export async function setBlocked(session: Session, userId: string, blocked: boolean): Promise<User[]> {
  await session.api.http.request(blocked ? "POST" : "DELETE", `/api/users/${encodeURIComponent(userId)}/block`);
  return fetchBlocked(session);
}
