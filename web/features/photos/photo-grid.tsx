import { useLiveQuery } from "dexie-react-hooks";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Media } from "../../../shared/protocol/index.js";
import { photosOf } from "../../db/outbox-photos.js";
import type { OutboxRow } from "../../db/records.js";
import { useSession } from "../../session.js";
import { useUploadProgress } from "../../sync/upload-progress.js";
import { fitWithin } from "./attach.js";
import { PhotoViewer } from "./photo-viewer.js";

/** One photo alone is shown at most this many px on its longer side; several share a grid of squares. */
const SINGLE_PX = 240;
const CELL_PX = 120;

interface Cell {
  key: string;
  src: string;
  width?: number;
  height?: number;
}

/**
 * The thumbnails, sized from what is known before they load (no jump when
 * they arrive). One that cannot be shown (not cached offline, a file that is
 * not a picture) is a neutral box that says so, not the browser's broken icon.
 */
function PhotoCells({ cells, alt, onOpen, testId }: { cells: Cell[]; alt: string; onOpen?(index: number): void; testId: string }) {
  const { t } = useTranslation();
  const [broken, setBroken] = useState<ReadonlySet<string>>(new Set());
  const single = cells.length === 1;
  return (
    <div className={`photo-grid${single ? " is-single" : ` cols-${cells.length === 2 || cells.length === 4 ? 2 : 3}`}`} data-testid={testId} data-count={cells.length}>
      {cells.map((cell, i) => {
        const size = single ? fitWithin(cell.width, cell.height, SINGLE_PX) : { width: CELL_PX, height: CELL_PX };
        const img = broken.has(cell.src) ? (
          <span className="photo-broken" role="img" aria-label={t("photos.grid.brokenLabel", { alt })} style={{ aspectRatio: `${size.width} / ${size.height}` }}>
            {t("photos.grid.broken")}
          </span>
        ) : (
          <img
            src={cell.src}
            alt={alt}
            width={size.width}
            height={size.height}
            loading="lazy"
            decoding="async"
            draggable={false}
            onError={() => setBroken((set) => new Set(set).add(cell.src))}
          />
        );
        return onOpen ? (
          <button key={cell.key} type="button" className="photo-cell" onClick={() => onOpen(i)} title={t("photos.grid.open")} data-testid="photo-thumb">
            {img}
          </button>
        ) : (
          <span key={cell.key} className="photo-cell">
            {img}
          </span>
        );
      })}
    </div>
  );
}

/**
 * Photos as a chat shows them (a photo message, a listing): thumbnails; a
 * tap, click or Enter opens the viewer at that photo. The alt text names who
 * sent them ("Photo from Ann"), or is `label`.
 */
export function PhotoGrid({ media, from, label: given, testId = "photo-grid" }: { media: readonly Media[]; from: string; label?: string; testId?: string }) {
  const { t } = useTranslation();
  const label = given ?? t("photos.grid.from", { name: from });
  const [open, setOpen] = useState<number | null>(null);
  if (media.length === 0) return null;
  return (
    <>
      <PhotoCells cells={media.map((m) => ({ key: m.id, src: m.thumbUrl, width: m.width, height: m.height }))} alt={label} onOpen={setOpen} testId={testId} />
      {open !== null ? <PhotoViewer photos={media} start={open} label={label} onClose={() => setOpen(null)} /> : null}
    </>
  );
}

/**
 * A photo message still in the outbox: the photos from this device
 * (object URLs of the Blobs in IndexedDB, revoked when they leave the
 * screen) and how far the upload has got.
 */
export function PendingPhotos({ row }: { row: OutboxRow }) {
  const { db } = useSession();
  const stored = useLiveQuery(() => photosOf(db, row.clientMsgId), [db, row.clientMsgId]);
  const [cells, setCells] = useState<Cell[]>([]);
  const ids = stored?.map((p) => p.id).join(" ") ?? "";
  useEffect(() => {
    const made = (stored ?? []).map((p) => ({ key: p.id, src: URL.createObjectURL(p.blob), width: p.width, height: p.height }));
    setCells(made);
    return () => made.forEach((c) => URL.revokeObjectURL(c.src));
    // Keyed by the photos' ids: a live query answers new objects for the same rows.
  }, [ids]);
  const progress = useUploadProgress((s) => s.byMessage[row.clientMsgId]);
  const uploaded = row.mediaIds?.filter(Boolean).length ?? 0;
  const total = stored ? String(stored.length) : "…";
  const { t } = useTranslation();
  return (
    <>
      {cells.length > 0 ? <PhotoCells cells={cells} alt={t("photos.grid.sending")} testId="pending-photos" /> : null}
      {row.status === "sending" && progress !== undefined && progress < 1 ? (
        <div className="photo-progress" data-testid="upload-progress">
          <progress max={1} value={progress} aria-label={t("photos.grid.uploading", { percent: Math.round(progress * 100) })} />
          <span className="small-text">{t("photos.grid.uploaded", { done: uploaded, total })}</span>
        </div>
      ) : null}
    </>
  );
}
