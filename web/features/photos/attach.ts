import { MEDIA_MAX_BYTES_DEFAULT, MEDIA_PER_MESSAGE_MAX } from "../../../shared/protocol/index.js";
import { t } from "../../i18n/index.js";

/** What the server takes (it goes by the content; this only spares the person a refused upload). */
export const PHOTO_TYPES: readonly string[] = ["image/jpeg", "image/png", "image/webp", "image/gif"];
export const PHOTO_ACCEPT = "image/*";

export interface Checked<T> {
  /** The files that can be attached, in the order given. */
  accepted: T[];
  /** One sentence per kind of problem, for the person; empty when all went in. */
  problems: string[];
}

/**
 * Which of `files` can join the `already` attached photos: at most
 * MEDIA_PER_MESSAGE_MAX in all, each at most MEDIA_MAX_BYTES_DEFAULT, each a
 * photo the server takes (JPEG, PNG, WebP, GIF). Said before anything is sent.
 */
export function checkPhotos<T extends { name: string; type: string; size: number }>(already: number, files: readonly T[], maxBytes = MEDIA_MAX_BYTES_DEFAULT): Checked<T> {
  const accepted: T[] = [];
  const notPhotos: string[] = [];
  const tooLarge: string[] = [];
  let tooMany = 0;
  for (const file of files) {
    if (!PHOTO_TYPES.includes(file.type)) notPhotos.push(nameOf(file));
    else if (file.size > maxBytes) tooLarge.push(nameOf(file));
    else if (already + accepted.length >= MEDIA_PER_MESSAGE_MAX) tooMany++;
    else accepted.push(file);
  }
  const problems: string[] = [];
  if (notPhotos.length > 0) problems.push(t("photos.check.notPhotos", { names: list(notPhotos), count: notPhotos.length }));
  if (tooLarge.length > 0) problems.push(t("photos.check.tooLarge", { names: list(tooLarge), count: tooLarge.length, mb: Math.round(maxBytes / (1024 * 1024)) }));
  if (tooMany > 0) problems.push(t("photos.check.tooMany", { max: MEDIA_PER_MESSAGE_MAX, count: tooMany }));
  return { accepted, problems };
}

/** A pasted image has no name of its own. */
function nameOf(file: { name: string }): string {
  return file.name ? t("photos.check.fileName", { name: file.name }) : t("photos.check.pasted");
}

function list(names: string[]): string {
  const [first = "", second] = names;
  if (second === undefined) return first;
  return names.length === 2 ? t("photos.check.two", { first, second }) : t("photos.check.more", { first, second, count: names.length - 2 });
}

/** The list's and a notification's words for a photo message: "[Photo]", or "[Photo] caption". */
export function photoText(caption: string): string {
  return caption ? t("photos.textWithCaption", { caption }) : t("photos.text");
}

/** Width and height to reserve for a photo shown at most `max` px on its longer side. */
export function fitWithin(width: number | undefined, height: number | undefined, max: number): { width: number; height: number } {
  if (!width || !height) return { width: max, height: max };
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
