/**
 * Large camera photos are made smaller before they are uploaded: a phone's
 * 4-12 MB JPEG would take longer than the server gives an upload on a slow
 * link (REQUEST_TIMEOUT_MS) and would be retried in vain. The server
 * re-encodes every photo anyway (and strips its metadata), so nothing of
 * value is lost: at most SHRINK_MAX_PX on the longer side, JPEG at 85 %.
 * Only JPEGs over SHRINK_ABOVE_BYTES are touched (PNGs may be transparent,
 * GIFs animated); a result that is not smaller is not used.
 */
export const SHRINK_ABOVE_BYTES = 1_500_000;
export const SHRINK_MAX_PX = 2560;
const QUALITY = 0.85;

/** The size to draw a photo at, or null to send it as it is. */
export function shrinkTarget(type: string, bytes: number, width: number, height: number): { width: number; height: number } | null {
  if (type !== "image/jpeg" || bytes <= SHRINK_ABOVE_BYTES || width <= 0 || height <= 0) return null;
  const scale = Math.min(1, SHRINK_MAX_PX / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The photo to upload: `blob` itself, or a smaller JPEG of it (never fails: anything odd sends the original). */
export async function shrinkForUpload(blob: Blob): Promise<Blob> {
  if (blob.type !== "image/jpeg" || blob.size <= SHRINK_ABOVE_BYTES || typeof createImageBitmap !== "function") return blob;
  let bitmap: ImageBitmap | null = null;
  try {
    // The photo's EXIF orientation is applied here, as the server would.
    bitmap = await createImageBitmap(blob, { imageOrientation: "from-image" });
    const size = shrinkTarget(blob.type, blob.size, bitmap.width, bitmap.height);
    if (!size) return blob;
    const canvas = document.createElement("canvas");
    canvas.width = size.width;
    canvas.height = size.height;
    const context = canvas.getContext("2d");
    if (!context) return blob;
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, size.width, size.height);
    const smaller = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    return smaller && smaller.size < blob.size ? smaller : blob;
  } catch {
    return blob;
  } finally {
    bitmap?.close();
  }
}
