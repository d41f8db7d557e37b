import type { UploadedMedia } from "../../shared/protocol/index.js";
import type { CourierDb } from "../db/database.js";
import { photosOf, recordUpload } from "../db/outbox-photos.js";
import type { OutboxRow } from "../db/records.js";
import { t } from "../i18n/index.js";

/** Uploads one photo (`POST /api/media`), reporting bytes sent; fails like any request (CourierError / NetworkError). */
export type Uploader = (blob: Blob, opts: { onProgress(loaded: number, total: number): void; signal: AbortSignal }) => Promise<UploadedMedia>;

/** Why a photo message failed for good: its photos left this device (a plain Error: it is said as it is, in the app's language; the outbox gives up, as on a 400). */
export function photosGoneMessage(): string {
  return t("connection.outbox.photosGone");
}

/**
 * Uploads the photos of an outbox row that are not on the server yet, one by
 * one in their order, remembering each id on the row as soon as it is known
 * (a retry, or the app opened again, uploads only what is left). Answers the
 * ids in order, or null when the row left the outbox meanwhile (recalled,
 * discarded). `progress` gets the fraction of the message's bytes sent.
 */
export async function uploadPhotos(
  db: CourierDb,
  row: OutboxRow,
  upload: Uploader,
  signal: AbortSignal,
  progress: (fraction: number) => void,
): Promise<string[] | null> {
  const photos = await photosOf(db, row.clientMsgId);
  if (photos.length === 0) throw new Error(photosGoneMessage());
  const ids = [...(row.mediaIds ?? [])];
  const total = photos.reduce((sum, p) => sum + p.blob.size, 0) || 1;
  let done = photos.reduce((sum, p) => sum + (ids[p.n] ? p.blob.size : 0), 0);
  progress(done / total);
  for (const photo of photos) {
    if (ids[photo.n]) continue;
    const size = photo.blob.size;
    const media = await upload(photo.blob, {
      signal,
      // The request is the multipart body, a little more than the photo: scaled to the photo's bytes.
      onProgress: (loaded, all) => progress((done + (all > 0 ? (Math.min(loaded, all) / all) * size : 0)) / total),
    });
    done += size;
    progress(done / total);
    if (!(await recordUpload(db, row.clientMsgId, photo.n, media.id))) return null;
    ids[photo.n] = media.id;
  }
  return photos.map((p) => ids[p.n]!);
}
