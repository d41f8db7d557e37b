import { describe, expect, it } from "vitest";
import { NetworkError } from "./errors.js";
import { MEDIA_PATH, NOT_A_PHOTO, uploadMedia } from "./upload.js";

/** Just enough of XMLHttpRequest to see what an upload sends and to answer it. */
class FakeXhr {
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: unknown = null;
  timeout = 0;
  withCredentials = false;
  status = 0;
  responseText = "";
  aborted = false;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  getResponseHeader() {
    return null;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

const media = { id: "m1", mime: "image/jpeg", bytes: 10, width: 4, height: 3, url: "/api/media/m1", thumbUrl: "/api/media/m1/thumb" };

function start(options: Parameters<typeof uploadMedia>[1] = {}) {
  const xhr = new FakeXhr();
  const blob = new Blob(["0123456789"], { type: "image/jpeg" });
  const done = uploadMedia(blob, { ...options, xhr: () => xhr as unknown as XMLHttpRequest });
  return { xhr, blob, done };
}

describe("uploadMedia", () => {
  it("posts one multipart part named file, with the device id and the cookie, and reports the upload's progress", async () => {
    const seen: Array<[number, number]> = [];
    const { xhr, done } = start({ deviceId: "d-1", onProgress: (loaded, total) => seen.push([loaded, total]) });
    expect([xhr.method, xhr.url, xhr.withCredentials, xhr.headers["X-Device-Id"]]).toEqual(["POST", MEDIA_PATH, true, "d-1"]);
    const form = xhr.body as FormData;
    const file = form.get("file") as File;
    expect([...form.keys()]).toEqual(["file"]);
    expect([file.name, file.type, await file.text()]).toEqual(["photo.jpg", "image/jpeg", "0123456789"]);
    expect(xhr.timeout).toBeGreaterThanOrEqual(60_000);
    xhr.upload.onprogress?.({ loaded: 40, total: 200, lengthComputable: true });
    xhr.answer(201, { media });
    expect(await done).toEqual(media);
    expect(seen).toEqual([[40, 200]]);
  });

  it("a refusal is a CourierError with the person's words; no answer, a timeout or an abort is a NetworkError (retried)", async () => {
    const refused = start();
    refused.xhr.answer(415, { error: { code: "unsupported_media_type", message: "Send a photo." } });
    await expect(refused.done).rejects.toMatchObject({ name: "CourierError", message: NOT_A_PHOTO });

    const offline = start();
    offline.xhr.onerror?.();
    await expect(offline.done).rejects.toBeInstanceOf(NetworkError);

    const slow = start();
    slow.xhr.ontimeout?.();
    await expect(slow.done).rejects.toBeInstanceOf(NetworkError);

    const stop = new AbortController();
    const stopped = start({ signal: stop.signal });
    stop.abort();
    expect(stopped.xhr.aborted).toBe(true);
    await expect(stopped.done).rejects.toBeInstanceOf(NetworkError);
  });
});
