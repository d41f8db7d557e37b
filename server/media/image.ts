import { open } from "node:fs/promises";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { CourierError } from "../../shared/protocol/index.js";

/**
 * What an upload becomes (docs/marketplace.md "Photos"): the format is read
 * from the content (the first bytes, then the decoder must agree), only
 * JPEG, PNG, WebP and GIF; the orientation is applied, every piece of
 * metadata dropped (sharp keeps none unless asked), and the image encoded
 * again, with a thumbnail at most 320 px on its longer side. Anything else,
 * or anything that does not decode cleanly (a truncated file), is 415.
 */

/** Formats accepted, by sharp's name, with the type they are served as. */
export const IMAGE_TYPES = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp", gif: "image/gif" } as const;
export type ImageFormat = keyof typeof IMAGE_TYPES;

export const THUMB_MAX_SIDE = 320;
/** The stored image's longer side at most: far more than a phone's screen, a fraction of a 50-megapixel original's bytes. */
export const FULL_MAX_SIDE = 4096;

/** Decoded images kept in sharp's operation cache: none, so memory goes back after each upload. */
sharp.cache(false);

const unsupported = () => new CourierError("unsupported_media_type", "Send a photo: a JPEG, PNG, WebP or GIF image.", undefined, "unsupported_photo");

/** The format the first bytes announce, or null: SVG, HEIC, text and everything else. */
export function sniff(head: Buffer): ImageFormat | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "jpeg";
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "png";
  if (head.length >= 6 && (head.toString("latin1", 0, 6) === "GIF87a" || head.toString("latin1", 0, 6) === "GIF89a")) return "gif";
  if (head.length >= 12 && head.toString("latin1", 0, 4) === "RIFF" && head.toString("latin1", 8, 12) === "WEBP") return "webp";
  return null;
}

async function headOf(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export interface Rendition {
  file: string;
  bytes: number;
  width: number;
  height: number;
}

export interface Processed {
  mime: (typeof IMAGE_TYPES)[ImageFormat];
  full: Rendition;
  thumb: Rendition;
}

/** Encoder settings per format; none of them keeps metadata. */
function encode(img: Sharp, format: ImageFormat): Sharp {
  switch (format) {
    case "jpeg":
      return img.jpeg({ quality: 85 });
    case "png":
      return img.png();
    case "webp":
      return img.webp({ quality: 85 });
    case "gif":
      return img.gif();
  }
}

/**
 * Reads the upload at `input` and writes `full` and `thumb` files into
 * `outDir`. Refuses with 415 what is not one of the formats or does not
 * decode, and with 413 an image of more than `maxPixels` (decompression
 * bombs: a small file of a huge, plain picture), checked from the header
 * before anything is decoded and again by sharp itself.
 */
export async function processImage(input: string, outDir: string, maxPixels: number): Promise<Processed> {
  const format = sniff(await headOf(input));
  if (!format) throw unsupported();
  // The header only: the size, before any pixel is decoded.
  const meta = await sharp(input).metadata().catch(() => {
    throw unsupported();
  });
  if (meta.format !== format || !meta.width || !meta.height) throw unsupported();
  if (meta.width * meta.height > maxPixels) {
    throw CourierError.tooLarge(`That image has more than ${(maxPixels / 1_000_000).toLocaleString("en")} megapixels; send a smaller one.`);
  }
  // failOn "error": a truncated or damaged file is refused, not stored half grey (mere warnings pass). Only the first frame of a GIF.
  const source = sharp(input, { limitInputPixels: maxPixels, failOn: "error", animated: false });
  const render = async (name: string, side: number): Promise<Rendition> => {
    const file = path.join(outDir, name);
    const img = source.clone().rotate().resize(side, side, { fit: "inside", withoutEnlargement: true });
    const info = await encode(img, format).toFile(file);
    return { file, bytes: info.size, width: info.width, height: info.height };
  };
  try {
    // One after the other: one decoded image in memory at a time.
    const full = await render("full", FULL_MAX_SIDE);
    const thumb = await render("thumb", THUMB_MAX_SIDE);
    return { mime: IMAGE_TYPES[format], full, thumb };
  } catch (error) {
    // The header was fine, the pixels are not (truncated data, a corrupt stream): not a photo we can show.
    if (error instanceof Error && !("code" in error)) throw unsupported();
    throw error;
  }
}

/**
 * At most `limit` images processed at once in this process: each one is
 * decoded whole, so many at a time would add their working sets up.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
