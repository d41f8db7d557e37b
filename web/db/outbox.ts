import type { CourierDb } from "./database.js";
import { dropPhotos, photoRowsFor, type PhotoInput } from "./outbox-photos.js";
import type { OutboxRow, ReplyRef, StoredMessage } from "./records.js";

/**
 * Writes a new message to the outbox: it is on screen before any network call.
 * With `photos`, a photo message (`body` its caption): the Blobs are stored with it, in one transaction.
 */
export async function enqueue(
  db: CourierDb,
  conversationId: string,
  body: string,
  now = Date.now(),
  replyTo?: ReplyRef,
  photos?: readonly PhotoInput[],
  clientMsgId: string = crypto.randomUUID(),
): Promise<OutboxRow> {
  return db.transaction("rw", db.outbox, db.outboxPhotos, async () => {
    // Strictly increasing, so two messages typed within a millisecond keep their order.
    const last = await db.outbox.orderBy("createdAt").last();
    const createdAt = Math.max(now, (last?.createdAt ?? 0) + 1);
    const row: OutboxRow = { clientMsgId, conversationId, body, createdAt, queuedAt: now, status: "sending", ...(replyTo ? { replyTo } : {}) };
    if (photos?.length) {
      row.kind = "image";
      await db.outboxPhotos.bulkAdd(photoRowsFor(row.clientMsgId, photos));
    }
    await db.outbox.add(row);
    return row;
  });
}

/** Rows waiting to be sent, oldest first: they go out in the order they were typed. */
export function queued(db: CourierDb): Promise<OutboxRow[]> {
  return db.outbox.orderBy("createdAt").filter((row) => row.status === "sending").toArray();
}

/**
 * The server confirmed: store its copy and drop the pending row in one
 * transaction, so the message is never shown twice nor missing for a frame.
 */
export async function settle(db: CourierDb, message: StoredMessage): Promise<void> {
  await db.transaction("rw", db.messages, db.outbox, db.outboxPhotos, async () => {
    if (!(await db.messages.get(message.id))) await db.messages.put(message);
    await db.outbox.delete(message.clientMsgId);
    await dropPhotos(db, [message.clientMsgId]);
  });
}

export async function markFailed(db: CourierDb, clientMsgId: string, error: string): Promise<void> {
  await db.outbox.update(clientMsgId, { status: "failed", error });
}

/**
 * Retry keeps the clientMsgId (the server drops a repeat of one that did get
 * through) and its place in the order, and starts its age afresh.
 */
export async function markSending(db: CourierDb, clientMsgId: string, now = Date.now()): Promise<void> {
  await db.outbox.update(clientMsgId, { status: "sending", error: undefined, queuedAt: now });
}

/** How long a row has waited to be sent. */
export function queuedFor(row: OutboxRow, now: number): number {
  return now - (row.queuedAt ?? row.createdAt);
}

export async function discard(db: CourierDb, clientMsgId: string): Promise<void> {
  await db.transaction("rw", db.outbox, db.outboxPhotos, async () => {
    await db.outbox.delete(clientMsgId);
    await dropPhotos(db, [clientMsgId]);
  });
}
