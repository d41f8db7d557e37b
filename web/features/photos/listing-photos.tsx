import { useTranslation } from "react-i18next";
import type { Item } from "../../../shared/protocol/index.js";
import type { Api } from "../../api/client.js";
import type { PhotoInput } from "../../db/outbox-photos.js";
import { t } from "../../i18n/index.js";
import { fitWithin } from "./attach.js";

/**
 * A listing's photos, uploaded one by one before the listing is created with
 * their ids (`POST /api/items {mediaIds}`); `status` says how far it got.
 * A refusal (not a photo, too large) fails the whole listing with the reason.
 */
export async function uploadListingPhotos(api: Pick<Api, "uploadMedia">, photos: readonly PhotoInput[], status: (text: string) => void): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, photo] of photos.entries()) {
    const at = { n: i + 1, total: photos.length };
    status(t("photos.listing.uploading", at));
    const media = await api.uploadMedia(photo.blob, {
      onProgress: (loaded, total) => status(t("photos.listing.uploadingPercent", { ...at, percent: total > 0 ? Math.round((loaded / total) * 100) : 0 })),
    });
    ids.push(media.id);
  }
  return ids;
}

/** A listing card's first photo (the others are in the item panel of its chat). */
export function ListingPhoto({ item }: { item: Pick<Item, "photos" | "title"> }) {
  const { t } = useTranslation();
  const first = item.photos?.[0];
  if (!first) return null;
  const size = fitWithin(first.width, first.height, 320);
  return (
    <span className="listing-photo" data-testid="listing-photo">
      <img src={first.thumbUrl} alt={t("photos.listing.of", { title: item.title })} width={size.width} height={size.height} loading="lazy" decoding="async" />
    </span>
  );
}
