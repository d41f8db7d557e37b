import { request } from "node:http";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_MEDIA_CONFIG } from "../config.js";
import { limits } from "../http/rate-limit-testing.js";
import { listen, register, startServer, type TestServer } from "../testing/harness.js";
import {
  BOUNDARY,
  download,
  HTML,
  multipart,
  MULTIPART_TYPE,
  plainImage,
  SVG,
  twoColourJpeg,
  upload,
  uploaded,
} from "./testing.js";

/** Uploads (contract "Media and rich messages"): what is accepted, what is stored, what is refused. Runs on SQLite and PostgreSQL. */

let server: TestServer;
afterEach(async () => server?.dispose());

const GPS_IFD_POINTER = [Buffer.from([0x88, 0x25]), Buffer.from([0x25, 0x88])];
const hasGps = (exif: Buffer | undefined) => exif !== undefined && GPS_IFD_POINTER.some((tag) => exif.includes(tag));

/** The RGB of the pixel at (x, y). */
async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + 3)];
}

describe("POST /api/media", () => {
  it("removes every piece of metadata (EXIF, GPS) and applies the orientation: the photo stands the way it was taken", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    // 80×40, red left and blue right, and "rotate 90° clockwise to show" (EXIF orientation 6) with a GPS position.
    const original = await twoColourJpeg(80, 40, { orientation: 6, gps: true });
    const before = await sharp(original).metadata();
    expect([before.orientation, hasGps(before.exif), original.includes("CourierTestCam")]).toEqual([6, true, true]);

    const media = await uploaded(server.app, alice, original);
    expect(media).toMatchObject({ mime: "image/jpeg", width: 40, height: 80 });
    const stored = await download(server.app, media.url, alice);
    expect(stored.status).toBe(200);
    const after = await sharp(stored.bytes).metadata();
    expect({ exif: after.exif, orientation: after.orientation, icc: after.icc, xmp: after.xmp }).toEqual({
      exif: undefined,
      orientation: undefined,
      icc: undefined,
      xmp: undefined,
    });
    expect(stored.bytes.includes("CourierTestCam")).toBe(false);
    expect([after.width, after.height]).toEqual([40, 80]);
    // Turned: the left (red) half is now on top, the right (blue) one below.
    const [top, bottom] = [await pixel(stored.bytes, 20, 10), await pixel(stored.bytes, 20, 70)];
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
    expect(media.bytes).toBe(stored.bytes.length);
  });

  it("makes a thumbnail at most 320 px on its longer side, and never enlarges a small image", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const big = await uploaded(server.app, alice, await twoColourJpeg(1000, 500));
    const thumb = await download(server.app, big.thumbUrl, alice);
    expect(thumb.status).toBe(200);
    const t = await sharp(thumb.bytes).metadata();
    expect([t.format, t.width, t.height]).toEqual(["jpeg", 320, 160]);
    expect(Number(thumb.headers["content-length"])).toBe(thumb.bytes.length);
    const small = await uploaded(server.app, alice, await plainImage("png", 40, 30));
    const s = await sharp((await download(server.app, small.thumbUrl, alice)).bytes).metadata();
    expect([s.format, s.width, s.height]).toEqual(["png", 40, 30]);
  });

  it("judges the format by the content, not the name or the declared type: JPEG, PNG, WebP, GIF only (415 otherwise)", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const png = await upload(server.app, alice, await plainImage("png"), "holiday.jpg", "image/jpeg");
    expect([png.status, png.body.media?.mime]).toEqual([201, "image/png"]);
    const gif = await upload(server.app, alice, await plainImage("gif"), "funny.png", "image/png");
    expect([gif.status, gif.body.media?.mime]).toEqual([201, "image/gif"]);
    const webp = await upload(server.app, alice, await plainImage("webp"), "x.bin", "application/octet-stream");
    expect([webp.status, webp.body.media?.mime]).toEqual([201, "image/webp"]);
    const served = await download(server.app, gif.body.media.url, alice);
    expect(served.headers["content-type"]).toBe("image/gif");
    expect((await sharp(served.bytes).metadata()).format).toBe("gif");

    const jpeg = await twoColourJpeg(200, 100);
    const refused = {
      "an SVG named .png": await upload(server.app, alice, SVG, "photo.png", "image/png"),
      "HTML named .jpg": await upload(server.app, alice, HTML, "photo.jpg", "image/jpeg"),
      "a truncated JPEG": await upload(server.app, alice, jpeg.subarray(0, Math.floor(jpeg.length / 2))),
      "an AVIF (HEIF family)": await upload(server.app, alice, await plainImage("avif"), "photo.heic", "image/heic"),
      "text": await upload(server.app, alice, Buffer.from("just words, no picture"), "notes.txt", "text/plain"),
      "an empty file": await upload(server.app, alice, Buffer.alloc(0)),
    };
    for (const [what, res] of Object.entries(refused)) {
      expect({ what, status: res.status, code: res.body.error?.code }).toEqual({ what, status: 415, code: "unsupported_media_type" });
    }
  });

  it("refuses an image of more pixels than MEDIA_MAX_PIXELS (413) before decoding it", async () => {
    server = await startServer({ media: { ...DEFAULT_MEDIA_CONFIG, maxPixels: 10_000 } });
    const alice = await register(server.app, "alice");
    // A few hundred bytes that would decode into 20,000 pixels.
    const res = await upload(server.app, alice, await plainImage("png", 200, 100));
    expect([res.status, res.body.error?.code]).toEqual([413, "too_large"]);
    expect((await upload(server.app, alice, await plainImage("png", 100, 100))).status).toBe(201);
  });

  it("answers 400, never 500, to a body that is not one file part named file", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const png = await plainImage("png");
    const post = (payload: Buffer | string, contentType: string) =>
      server.app.inject({ method: "POST", url: "/api/media", headers: { authorization: `Bearer ${alice.token}`, "content-type": contentType }, payload });
    const cases = {
      "no file part": await post(multipart([{ name: "caption", data: "hello" }]), MULTIPART_TYPE),
      "an empty form": await post(`--${BOUNDARY}--\r\n`, MULTIPART_TYPE),
      "the file under another name": await post(multipart([{ name: "photo", filename: "a.png", data: png }]), MULTIPART_TYPE),
      "two files": await post(
        multipart([
          { name: "file", filename: "a.png", data: png },
          { name: "file", filename: "b.png", data: png },
        ]),
        MULTIPART_TYPE,
      ),
      "a JSON body": await post(JSON.stringify({ file: "aGVsbG8=" }), "application/json"),
      "raw image bytes": await post(png, "image/png"),
      "multipart without a boundary": await post(multipart([{ name: "file", filename: "a.png", data: png }]), "multipart/form-data"),
      "a body cut short": await post(multipart([{ name: "file", filename: "a.png", data: png }]).subarray(0, 120), MULTIPART_TYPE),
      "garbage": await post("this is not multipart at all", MULTIPART_TYPE),
    };
    for (const [what, res] of Object.entries(cases)) {
      expect({ what, status: res.statusCode, code: res.json<{ error: { code: string } }>().error.code }).toEqual({ what, status: 400, code: "bad_request" });
    }
    // Nothing of it was stored: the one upload that is right is the first.
    const ok = await uploaded(server.app, alice, png);
    expect((await download(server.app, ok.url, alice)).status).toBe(200);
  });

  it("requires sign-in, and limits uploads per user (429)", async () => {
    server = await startServer({ rateLimits: limits({ mediaPerUser: { limit: 2, windowMs: 3_600_000 } }) });
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const png = await plainImage("png");
    const anonymous = await server.app.inject({
      method: "POST",
      url: "/api/media",
      headers: { "content-type": MULTIPART_TYPE },
      payload: multipart([{ name: "file", filename: "a.png", data: png }]),
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await upload(server.app, alice, png)).status).toBe(201);
    expect((await upload(server.app, alice, png)).status).toBe(201);
    const third = await upload(server.app, alice, png);
    expect([third.status, third.body.error?.code]).toEqual([429, "rate_limited"]);
    expect((await upload(server.app, bob, png)).status).toBe(201);
  });
});

describe("the size limit (MEDIA_MAX_BYTES)", () => {
  const MAX = 64 * 1024;

  /**
   * Streams a file part of `size` bytes over real HTTP and, past the limit,
   * never ends the request: a server that waited for the whole body (to
   * buffer it) would never answer.
   */
  async function stream(url: string, token: string, size: number, end: boolean): Promise<{ status: number; code: string }> {
    const head = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
    const body = Buffer.alloc(size, 0x41);
    // A JPEG's first bytes: only the size can be what is wrong with it.
    body[0] = 0xff;
    body[1] = 0xd8;
    body[2] = 0xff;
    return new Promise((resolve, reject) => {
      const req = request(`${url}/api/media`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": MULTIPART_TYPE } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          resolve({ status: res.statusCode!, code: (JSON.parse(Buffer.concat(chunks).toString()) as { error: { code: string } }).error.code });
          req.destroy();
        });
      });
      req.on("error", (error) => (error.message.includes("socket hang up") ? undefined : reject(error)));
      req.write(head);
      req.write(body);
      if (end) req.end(tail);
      // else: the request stays open, its end never sent.
    });
  }

  it("answers 413 as soon as the file passes the limit, while the client is still sending; exactly the limit passes the size check", async () => {
    server = await startServer({ media: { ...DEFAULT_MEDIA_CONFIG, maxBytes: MAX } });
    const alice = await register(server.app, "alice");
    const url = await listen(server);
    expect(await stream(url, alice.token, MAX + 1, false)).toEqual({ status: 413, code: "too_large" });
    // MAX bytes of nonsense after a JPEG's magic: within the limit, then refused as not a real image.
    expect(await stream(url, alice.token, MAX, true)).toEqual({ status: 415, code: "unsupported_media_type" });
  });
});
