import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import sharp from "sharp";
import type { Message, UploadedMedia } from "../../shared/protocol/index.js";
import { call, type Session } from "../testing/harness.js";

/** Test helpers for photos: images made on the spot, multipart bodies, uploads and downloads through the app. */

/** A JPEG `width`×`height`, left half red and right half blue, with `exif` (e.g. an orientation and a GPS position) written into it. */
export function twoColourJpeg(width: number, height: number, meta: { orientation?: number; gps?: boolean } = {}): Promise<Buffer> {
  const half = Math.floor(width / 2);
  let img = sharp({ create: { width, height, channels: 3, background: { r: 255, g: 0, b: 0 } } })
    .composite([{ input: { create: { width: width - half, height, channels: 3, background: { r: 0, g: 0, b: 255 } } }, left: half, top: 0 }])
    .jpeg({ quality: 95 });
  if (meta.gps) {
    img = img.withExif({
      IFD0: { Make: "CourierTestCam", Model: "Kitchen" },
      IFD3: { GPSLatitudeRef: "N", GPSLatitude: "52/1 22/1 1234/100", GPSLongitudeRef: "E", GPSLongitude: "4/1 53/1 4321/100" },
    });
  }
  if (meta.orientation) img = img.withMetadata({ orientation: meta.orientation });
  return img.toBuffer();
}

/** A JPEG of random pixels, which no encoder can make small: about `width × height` bytes or more. */
export function noisyJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: "gaussian", mean: 128, sigma: 60 } } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** A plain image in `format`. */
export function plainImage(format: "jpeg" | "png" | "webp" | "gif" | "avif", width = 40, height = 30): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 30, g: 160, b: 90 } } })
    .toFormat(format)
    .toBuffer();
}

export const SVG = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><script>alert(1)</script><rect width="40" height="30" fill="red"/></svg>`);
export const HTML = Buffer.from(`<!doctype html><html><body><script>alert(document.cookie)</script></body></html>`);

export interface Part {
  name: string;
  /** A file part when given (the name it claims), else a field. */
  filename?: string;
  type?: string;
  data: Buffer | string;
}

export const BOUNDARY = "----courier-test-boundary";

/** A multipart/form-data body of `parts`. */
export function multipart(parts: readonly Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ""}`;
    const type = p.filename !== undefined ? `\r\nContent-Type: ${p.type ?? "application/octet-stream"}` : "";
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`), Buffer.from(p.data), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/** `POST /api/media` of one file part; the reply as the client sees it. */
export async function upload(app: FastifyInstance, s: Session, data: Buffer, filename = "photo.jpg", type = "image/jpeg") {
  const res = await app.inject({
    method: "POST",
    url: "/api/media",
    headers: { authorization: `Bearer ${s.token}`, "content-type": MULTIPART_TYPE },
    payload: multipart([{ name: "file", filename, type, data }]),
  });
  return { status: res.statusCode, body: res.json<{ media: UploadedMedia; error?: { code: string; message: string } }>() };
}

/** An upload that must succeed. */
export async function uploaded(app: FastifyInstance, s: Session, data: Buffer): Promise<UploadedMedia> {
  const res = await upload(app, s, data);
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.media;
}

/** GET of a photo's url (or thumbUrl) as `s` (or nobody): status, headers and the bytes. */
export async function download(app: FastifyInstance, url: string, s: Session | null) {
  const res = await app.inject({ method: "GET", url, headers: s ? { authorization: `Bearer ${s.token}` } : {} });
  return { status: res.statusCode, headers: res.headers, bytes: res.rawPayload };
}

/** Sends a photo message. */
export function sendPhotos(app: FastifyInstance, s: Session, conversationId: string, mediaIds: string[], body = "") {
  return call<{ message: Message }>(app, "POST", "/api/messages", {
    token: s.token,
    body: { clientMsgId: randomUUID(), conversationId, kind: "image", mediaIds, ...(body ? { body } : {}) },
  });
}
