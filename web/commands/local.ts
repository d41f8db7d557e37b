import type { CourierDb } from "../db/database.js";

/**
 * `delete_conversation`: the conversation's messages and summary leave this
 * device (the server and the other members keep them). Its unsent messages
 * stay in the outbox and still go out, as a resync and a sign-out keep them:
 * they are what the person typed and has not seen leave, and a repair must
 * not destroy them silently. Once one is confirmed the conversation comes
 * back, as any conversation a new message arrives in (its summary is fetched).
 */
export async function deleteConversationHere(db: CourierDb, conversationId: string): Promise<void> {
  await db.transaction("rw", db.messages, db.conversations, async () => {
    await db.messages.where("conversationId").equals(conversationId).delete();
    await db.conversations.delete(conversationId);
  });
}
