import { create } from "zustand";
import type { CourierDb } from "../db/database.js";

/**
 * Conversations an administrator's command removed from this device while
 * this tab runs: an open one closes with a notice instead of fetching itself
 * back (conversation-view.tsx), which would put the row back in the list.
 */
export const useRemovedHere = create<{ ids: ReadonlySet<string>; forget(id: string): void }>()((set) => ({
  ids: new Set(),
  forget: (id) => set((s) => ({ ids: new Set([...s.ids].filter((other) => other !== id)) })),
}));

/**
 * `delete_conversation`: the conversation's messages and summary leave this
 * device (the server and the other members keep them). Its unsent messages
 * stay in the outbox and still go out, as a resync and a sign-out keep them:
 * they are what the person typed and has not seen leave, and a repair must
 * not destroy them silently. Once one is confirmed the conversation comes
 * back, as any conversation a new message arrives in (its summary is fetched).
 */
export async function deleteConversationHere(db: CourierDb, conversationId: string): Promise<void> {
  // Before the rows go: the open view sees the mark before it sees the summary missing.
  useRemovedHere.setState((s) => ({ ids: new Set([...s.ids, conversationId]) }));
  await db.transaction("rw", db.messages, db.conversations, async () => {
    await db.messages.where("conversationId").equals(conversationId).delete();
    await db.conversations.delete(conversationId);
  });
}
