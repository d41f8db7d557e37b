import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import fastifyMultipart from "@fastify/multipart";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { CourierError } from "../../shared/protocol/index.js";
import { requireAuth } from "../auth/authenticate.js";
import type { Context, FeatureOptions } from "../context.js";
import { idParam } from "../http/params.js";
import type { MediaVariant, StoredMedia } from "../storage/media-types.js";
import { Gate, type Processed, processImage } from "./image.js";
import { toUploaded, visibleMedia } from "./media.js";

/** Images decoded at once per process (each one's working set is its pixels). */
const PROCESSING_AT_ONCE = 2;

const notMultipart = () => CourierError.badRequest('Send the photo as multipart/form-data, in one part named "file".');

/** What went wrong reading a multipart body, as the client's error: never a 500 for a malformed or oversized body. */
function uploadError(error: unknown, maxBytes: number): unknown {
  if (error instanceof CourierError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "FST_REQ_FILE_TOO_LARGE") return tooLarge(maxBytes);
  if (code === "FST_FILES_LIMIT") return CourierError.badRequest("Send one photo per upload.");
  if (code === "FST_PARTS_LIMIT" || code === "FST_FIELDS_LIMIT") return CourierError.badRequest('Send only the photo, in one part named "file".');
  // The file system (a full disk) is ours to report; everything else the parser raised is the body's fault.
  if (error instanceof Error && !("syscall" in error)) return CourierError.badRequest("The multipart body is malformed or was cut short.");
  return error;
}

const tooLarge = (maxBytes: number) => CourierError.tooLarge(`A photo can be at most ${(maxBytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB.`, "photo_too_large");

/**
 * Streams the one part named `file` to `target`; the size limit is busboy's,
 * counted as bytes arrive: the moment it passes, the answer is 413 (the rest
 * of the body is never read). Nothing is held in memory but the stream's buffers.
 */
async function receive(req: FastifyRequest, target: string, maxBytes: number): Promise<void> {
  let received = false;
  try {
    for await (const part of req.parts()) {
      if (part.type === "field") continue;
      if (part.fieldname !== "file" || received) {
        part.file.resume();
        throw received ? CourierError.badRequest("Send one photo per upload.") : notMultipart();
      }
      // busboy counts; past the limit it would skip to the end of the part: answer at once instead.
      part.file.once("limit", () => part.file.destroy(tooLarge(maxBytes)));
      await pipeline(part.file, createWriteStream(target, { mode: 0o600 }));
      if (part.file.truncated) throw tooLarge(maxBytes);
      received = true;
    }
  } catch (error) {
    throw uploadError(error, maxBytes);
  }
  if (!received) throw notMultipart();
}

/** Hands both renditions to the media store, then records the upload; bytes of an upload that could not be recorded are removed. */
async function keep(ctx: Context, ownerId: string, p: Processed): Promise<StoredMedia> {
  const media: StoredMedia = {
    id: randomUUID(),
    ownerId,
    mime: p.mime,
    bytes: p.full.bytes,
    width: p.full.width,
    height: p.full.height,
    thumbBytes: p.thumb.bytes,
    thumbWidth: p.thumb.width,
    thumbHeight: p.thumb.height,
    at: ctx.clock(),
  };
  try {
    await ctx.media.put(media.id, "full", p.full.file);
    await ctx.media.put(media.id, "thumb", p.thumb.file);
    await ctx.storage.write(async (tx) => tx.media.insert(media));
  } catch (error) {
    await ctx.media.delete(media.id).catch(() => undefined);
    throw error;
  }
  return media;
}

/**
 * Photos (contract "Media and rich messages"): `POST /api/media` uploads one
 * (multipart, one part `file`) → 201 `{media}`; `GET /api/media/:id` and
 * `/api/media/:id/thumb` serve it to whoever may see it (media.ts), with
 * the session cookie or a Bearer token, so `<img src>` works.
 */
export const mediaRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  const { maxBytes, maxPixels } = ctx.config.media;
  const gate = new Gate(PROCESSING_AT_ONCE);
  // In this plugin only: the rest of the API still speaks JSON alone.
  await app.register(fastifyMultipart, { limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 11, headerPairs: 100 } });
  // Any other body type here gets a message about photos, not about JSON.
  app.addContentTypeParser("*", (_req, _body, done) => done(notMultipart(), undefined));

  app.post("/api/media", async (req, reply) => {
    const auth = await requireAuth(ctx, req);
    if (!req.isMultipart()) throw notMultipart();
    await ctx.limits.mediaPerUser.enforce(auth.user.id, "photo uploads");
    const dir = await mkdtemp(path.join(tmpdir(), "courier-upload-"));
    try {
      const upload = path.join(dir, "upload");
      await receive(req, upload, maxBytes);
      const processed = await gate.run(() => processImage(upload, dir, maxPixels));
      const media = await keep(ctx, auth.user.id, processed);
      return reply.code(201).send({ media: toUploaded(media) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const serve = (variant: MediaVariant) => async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = await requireAuth(ctx, req);
    const id = idParam(req);
    const media = await ctx.storage.read((r) => visibleMedia(r, auth.user.id, id));
    const body = await ctx.media.read(id, variant);
    return reply
      .header("content-type", media.mime)
      .header("content-length", variant === "full" ? media.bytes : media.thumbBytes)
      .header("x-content-type-options", "nosniff")
      // The id names these bytes forever (a new photo is a new id); private: only some users may see it.
      .header("cache-control", "private, max-age=31536000, immutable")
      .send(body);
  };
  app.get("/api/media/:id", serve("full"));
  app.get("/api/media/:id/thumb", serve("thumb"));
};
