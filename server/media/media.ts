import { CourierError, type Media, type UploadedMedia } from "../../shared/protocol/index.js";
import type { MediaVariant, StoredMedia } from "../storage/media-types.js";
import type { Repos } from "../storage/storage.js";

/**
 * Photo rules, once for both engines: whose uploads a message or a listing
 * may show, and who may see a photo (contract "Media and rich messages").
 */

export const mediaUrl = (id: string, variant: MediaVariant = "full"): string =>
  `/api/media/${encodeURIComponent(id)}${variant === "thumb" ? "/thumb" : ""}`;

/** A photo as messages and listings carry it. */
export function toMedia(m: StoredMedia): Media {
  return { id: m.id, mime: m.mime, width: m.width, height: m.height, url: mediaUrl(m.id), thumbUrl: mediaUrl(m.id, "thumb") };
}

/** What `POST /api/media` answers. */
export const toUploaded = (m: StoredMedia): UploadedMedia => ({ ...toMedia(m), bytes: m.bytes });

/**
 * The photos `ids` name, in that order, each one an upload of `ownerId`'s: a
 * message or a listing shows only its author's own photos (someone else's id
 * would hand their photo to whoever sees it). 400 naming the first that is not.
 */
export async function ownUploads(r: Repos, ownerId: string, ids: readonly string[]): Promise<Media[]> {
  const found = new Map((await r.media.getMany(ids)).map((m) => [m.id, m]));
  return ids.map((id) => {
    const m = found.get(id);
    if (!m || m.ownerId !== ownerId) throw CourierError.badRequest(`Photo ${id} is not one of your uploads; upload it first (POST /api/media).`);
    return toMedia(m);
  });
}

/**
 * A listing shows these photos now (the seller's own uploads, in order;
 * none: `[]`). For `POST /api/items` and `PATCH /api/items/:id`, inside their write.
 */
export async function setItemPhotos(r: Repos, itemId: string, sellerId: string, mediaIds: readonly string[]): Promise<Media[]> {
  const media = await ownUploads(r, sellerId, mediaIds);
  await r.media.setItemPhotos(itemId, media);
  return media;
}

/**
 * The photo, for someone who may see it: its uploader, a current member of a
 * conversation where a message carries it (not recalled), or, for a
 * listing's photo, anyone signed in. Anyone else: 404, as if it did not
 * exist, so an id tells a stranger nothing.
 */
export async function visibleMedia(r: Repos, userId: string, mediaId: string): Promise<StoredMedia> {
  const m = await r.media.get(mediaId);
  if (m && (m.ownerId === userId || (await r.media.sharedWith(mediaId, userId)))) return m;
  throw CourierError.notFound("No such photo.");
}
