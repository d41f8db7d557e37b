import { CourierError, uploadedMediaSchema, type UploadedMedia } from "../../shared/protocol/index.js";
import { NetworkError } from "./errors.js";
import { toCourierError, type UnauthorizedHandler } from "./http.js";

export const MEDIA_PATH = "/api/media";
/** The English message of the refusal; its reason (unsupported_photo, photo_too_large) gives other languages their words (describeError). */
export const NOT_A_PHOTO = "This file isn't a photo Courier can send (JPEG, PNG, WebP or GIF).";
export const PHOTO_TOO_LARGE = "This photo is too large to send (at most 10 MB).";

export interface UploadOptions {
  /** Sent as X-Device-Id, as every request of the app. */
  deviceId?: string | null;
  onProgress?(loaded: number, total: number): void;
  signal?: AbortSignal;
  /** Called on a `401`, as the JSON client does. */
  onUnauthorized?: UnauthorizedHandler | null;
  /** Test seam: the XMLHttpRequest to use. */
  xhr?: () => XMLHttpRequest;
}

/** The slowest link an upload is given time for (bytes per ms, i.e. ~25 kB/s), with at least a minute. */
const SLOWEST_BYTES_PER_MS = 25;
const MIN_TIMEOUT_MS = 60_000;

/**
 * `POST /api/media` with one multipart part `file`. XMLHttpRequest rather
 * than fetch, for the progress of the upload itself. Fails as the JSON client
 * does: a CourierError when the server answered, a NetworkError when it did
 * not (offline, timed out, aborted), so the outbox decides with one decide().
 */
export function uploadMedia(blob: Blob, opts: UploadOptions = {}): Promise<UploadedMedia> {
  return new Promise((resolve, reject) => {
    const xhr = opts.xhr?.() ?? new XMLHttpRequest();
    const form = new FormData();
    form.append("file", blob, fileNameFor(blob));
    xhr.open("POST", MEDIA_PATH);
    xhr.withCredentials = true;
    xhr.timeout = Math.max(MIN_TIMEOUT_MS, Math.ceil(blob.size / SLOWEST_BYTES_PER_MS));
    xhr.setRequestHeader("Accept", "application/json");
    if (opts.deviceId) xhr.setRequestHeader("X-Device-Id", opts.deviceId);
    xhr.upload.onprogress = (event) => opts.onProgress?.(event.loaded, event.lengthComputable ? event.total : blob.size);
    const fail = (message: string) => () => {
      opts.signal?.removeEventListener("abort", abort);
      reject(new NetworkError(message));
    };
    xhr.onerror = fail("Network unavailable");
    xhr.ontimeout = fail(`POST ${MEDIA_PATH} timed out`);
    xhr.onabort = fail(`POST ${MEDIA_PATH} was aborted`);
    xhr.onload = () => {
      opts.signal?.removeEventListener("abort", abort);
      readAnswer(xhr.status, xhr.responseText, xhr.getResponseHeader("Retry-After"), opts.onUnauthorized ?? null, sentAt).then(resolve, reject);
    };
    const abort = () => xhr.abort();
    if (opts.signal?.aborted) return fail(`POST ${MEDIA_PATH} was aborted`)();
    opts.signal?.addEventListener("abort", abort, { once: true });
    const sentAt = Date.now();
    xhr.send(form);
  });
}

/**
 * The server's answer to an upload: the media, or the error to fail with.
 * A photo refused for what it is (`415`, `413`) is refused for good, said in
 * the person's words: Retry will not change it.
 */
export async function readAnswer(status: number, text: string, retryAfter: string | null, onUnauthorized: UnauthorizedHandler | null = null, sentAt = Date.now()): Promise<UploadedMedia> {
  if (status === 415) throw CourierError.badRequest(NOT_A_PHOTO, "unsupported_photo");
  if (status === 413) throw CourierError.tooLarge(PHOTO_TOO_LARGE, "photo_too_large");
  if (status < 200 || status >= 300) {
    const headers = retryAfter === null ? undefined : { "Retry-After": retryAfter };
    throw await toCourierError(new Response(text, { status, headers }), onUnauthorized, sentAt);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // A proxy's page or a cut-off body: try again later.
    throw new NetworkError(`Unreadable response from ${MEDIA_PATH}`, { cause: error });
  }
  const parsed = uploadedMediaSchema.safeParse((json as { media?: unknown } | null)?.media);
  if (!parsed.success) throw new CourierError("internal", `Unexpected response from ${MEDIA_PATH}`);
  return parsed.data;
}

/** A name for the part (the server goes by the content, never by the name). */
function fileNameFor(blob: Blob): string {
  if (typeof File !== "undefined" && blob instanceof File && blob.name) return blob.name;
  const ext = /^image\/(jpeg|png|webp|gif)$/.exec(blob.type)?.[1];
  return `photo.${ext === "jpeg" ? "jpg" : (ext ?? "bin")}`;
}
