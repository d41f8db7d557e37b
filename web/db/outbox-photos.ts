import type { CourierDb } from "./database.js";
import type { OutboxPhotoRow } from "./records.js";

/** A photo as the composer hands it over: the picked file and, when it could be read, its size in pixels. */
export interface PhotoInput {
  blob: Blob;
  width?: number;
  height?: number;
}

export function photoRowsFor(clientMsgId: string, photos: readonly PhotoInput[]): OutboxPhotoRow[] {
  return photos.map((photo, n) => ({ id: `${clientMsgId}/${n}`, clientMsgId, n, ...photo }));
}

/** A photo message's photos, in the order attached. */
export async function photosOf(db: CourierDb, clientMsgId: string): Promise<OutboxPhotoRow[]> {
  return (await db.outboxPhotos.where("clientMsgId").equals(clientMsgId).toArray()).sort((a, b) => a.n - b.n);
}

/** Inside a transaction that includes `outboxPhotos`: the row's photos leave with it. */
export function dropPhotos(db: CourierDb, clientMsgIds: string[]): Promise<number> {
  return db.outboxPhotos.where("clientMsgId").anyOf(clientMsgIds).delete();
}

/**
 * Photo `n` of the row is on the server as `mediaId`: remembered on the row
 * (small; the Blobs are not written again), so a retry never uploads it twice.
 * False when the row is gone (recalled, discarded, or the server's copy came).
 */
export async function recordUpload(db: CourierDb, clientMsgId: string, n: number, mediaId: string): Promise<boolean> {
  return db.transaction("rw", db.outbox, async () => {
    const row = await db.outbox.get(clientMsgId);
    if (!row) return false;
    const mediaIds = [...(row.mediaIds ?? [])];
    while (mediaIds.length < n) mediaIds.push(null);
    mediaIds[n] = mediaId;
    await db.outbox.update(clientMsgId, { mediaIds });
    return true;
  });
}

/**
 * Photos whose message left the outbox another way (its copy arrived by
 * sync, or in a snapshot, before the send's answer): their Blobs go too.
 */
export async function sweepPhotos(db: CourierDb): Promise<number> {
  return db.transaction("rw", db.outbox, db.outboxPhotos, async () => {
    const held = new Set(await db.outbox.toCollection().primaryKeys());
    const owners = (await db.outboxPhotos.orderBy("clientMsgId").uniqueKeys()) as string[];
    const orphans = owners.filter((id) => !held.has(id));
    return orphans.length > 0 ? dropPhotos(db, orphans) : 0;
  });
}
