import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { MEDIA_PER_MESSAGE_MAX } from "../../../shared/protocol/index.js";
import type { Item, Media } from "../../../shared/protocol/index.js";
import type { Api } from "../../api/client.js";
import { uploadListingPhotos } from "./listing-photos.js";
import { usePhotoAttachments } from "./photo-attachments.js";

export interface ListingPhotoEditor {
  /** The photos kept (each with a remove button), the new ones, and the add button. */
  field: ReactNode;
  /**
   * The listing's photos after the edit, for `PATCH /api/items/:id {mediaIds}`:
   * the kept ones in their order, then the new ones uploaded now; undefined
   * when nothing about the photos changed (nothing is sent for them).
   */
  mediaIds(api: Pick<Api, "uploadMedia">): Promise<string[] | undefined>;
}

/** The photos part of the listing's edit dialog (listings/listing-controls.tsx). */
export function useListingPhotoEditor(item: Pick<Item, "photos">, disabled = false): ListingPhotoEditor {
  const { t } = useTranslation();
  const before = item.photos ?? [];
  const [kept, setKept] = useState<Media[]>(before);
  const [status, setStatus] = useState<string | null>(null);
  const added = usePhotoAttachments({ disabled, label: t("photos.attach.add"), already: kept.length });
  const changed = kept.length !== before.length || added.count > 0;
  const field = (
    <div className="field sell-photos" {...added.formHandlers} data-testid="listing-photos-field">
      <span className="field-label">{t("photos.listing.field")}</span>
      {kept.length > 0 ? (
        <ul className="photo-tray" aria-label={t("photos.listing.tray")}>
          {kept.map((media, i) => (
            <li key={media.id}>
              <img src={media.thumbUrl} alt={t("photos.listing.photo", { n: i + 1 })} width={64} height={64} />
              <button type="button" className="photo-remove" aria-label={t("photos.listing.remove", { n: i + 1 })} disabled={disabled} onClick={() => setKept((list) => list.filter((m) => m.id !== media.id))}>
                {t("photos.attach.removeMark")}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {added.tray}
      <div className="sell-photos-row">
        {added.button}
        <span className="hint">{t("photos.listing.upTo", { max: MEDIA_PER_MESSAGE_MAX })}</span>
      </div>
      {added.alert}
      {status ? <p className="hint">{status}</p> : null}
    </div>
  );
  return {
    field,
    mediaIds: async (api) => {
      if (!changed) return undefined;
      try {
        return [...kept.map((m) => m.id), ...(await uploadListingPhotos(api, added.peek(), setStatus))];
      } finally {
        setStatus(null);
      }
    },
  };
}
