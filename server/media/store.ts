import { copyFile, mkdir, open, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { CourierError } from "../../shared/protocol/index.js";
import type { Config } from "../config.js";
import type { MediaVariant } from "../storage/media-types.js";
import type { Storage } from "../storage/storage.js";

/**
 * Where the bytes of photos live (docs/marketplace.md "Photos"): put a file,
 * read a stream, delete. Two implementations: a folder (one process, or a
 * folder every process shares) and the database (every process serves every
 * photo without another service). Metadata and access rules are in the
 * database either way (`media`, `message_media`, `item_photos`).
 */
export interface MediaStore {
  readonly kind: "file" | "database";
  /** Takes the file at `file` (a temporary file the caller no longer needs) as the bytes of (id, variant). */
  put(id: string, variant: MediaVariant, file: string): Promise<void>;
  /** The bytes, streamed; a store that lost them: 404. A database that does not answer: 503 (before any byte is sent). */
  read(id: string, variant: MediaVariant): Promise<Readable>;
  /** Removes both variants (an upload whose metadata could not be stored). */
  delete(id: string): Promise<void>;
}

/** The database store's chunk size: no value read or written is larger. */
export const MEDIA_CHUNK_BYTES = 256 * 1024;

const VARIANTS: readonly MediaVariant[] = ["full", "thumb"];

const gone = () => CourierError.notFound("No such photo.");

/** A folder: `<dir>/<first two characters of the id>/<id>.<variant>`, readable by the server's user only. */
export class FileMediaStore implements MediaStore {
  readonly kind = "file";

  constructor(private readonly dir: string) {}

  private fileOf(id: string, variant: MediaVariant): string {
    // Ids are checked by the routes (idSchema), and a uuid from the server on upload; never a path of the client's.
    return path.join(this.dir, id.slice(0, 2), `${id}.${variant}`);
  }

  async put(id: string, variant: MediaVariant, file: string): Promise<void> {
    const target = this.fileOf(id, variant);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    try {
      await rename(file, target);
    } catch (error) {
      // The temporary folder is on another file system: copy, then drop the temporary file.
      if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
      await copyFile(file, target);
      await unlink(file);
    }
  }

  async read(id: string, variant: MediaVariant): Promise<Readable> {
    // Opened before answering: a missing file is a 404, not a response cut short.
    const handle = await open(this.fileOf(id, variant), "r").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") throw gone();
      throw error;
    });
    return handle.createReadStream({ highWaterMark: 64 * 1024 });
  }

  async delete(id: string): Promise<void> {
    await Promise.all(VARIANTS.map((v) => rm(this.fileOf(id, v), { force: true })));
  }
}

/**
 * The database (`media_chunks`): each variant in chunks of at most 256 KiB,
 * written one transaction per chunk and read one chunk per read, so neither
 * end holds a whole photo in memory. A photo's row in `media` is written
 * after all its chunks: a row always has its bytes.
 */
export class DatabaseMediaStore implements MediaStore {
  readonly kind = "database";

  constructor(private readonly storage: Storage) {}

  async put(id: string, variant: MediaVariant, file: string): Promise<void> {
    const handle = await open(file, "r");
    try {
      const buffer = Buffer.alloc(MEDIA_CHUNK_BYTES);
      for (let n = 0; ; n++) {
        const { bytesRead } = await handle.read(buffer, 0, MEDIA_CHUNK_BYTES, null);
        if (bytesRead === 0) break;
        // A copy: the buffer is reused for the next chunk while this one may still be queued for the engine.
        const chunk = Buffer.from(buffer.subarray(0, bytesRead));
        await this.storage.write(async (tx) => tx.media.putChunk(id, variant, n, chunk));
      }
    } finally {
      await handle.close();
    }
  }

  async read(id: string, variant: MediaVariant): Promise<Readable> {
    const chunk = (n: number) => this.storage.read(async (r) => r.media.chunk(id, variant, n));
    // The first chunk before answering: a database that is down is a 503, a photo without bytes a 404.
    const first = await chunk(0);
    if (!first) throw gone();
    async function* chunks() {
      yield first!;
      for (let n = 1; ; n++) {
        const next = await chunk(n);
        if (!next) return;
        yield next;
      }
    }
    // One chunk buffered ahead at most.
    return Readable.from(chunks(), { objectMode: false, highWaterMark: MEDIA_CHUNK_BYTES });
  }

  async delete(id: string): Promise<void> {
    await this.storage.write(async (tx) => tx.media.dropChunks(id));
  }
}

/** Which store a configuration means: MEDIA_STORE, else the database with DATABASE_URL, else the folder. */
export function mediaStoreKind(config: Pick<Config, "media" | "databaseUrl">): MediaStore["kind"] {
  return config.media.store ?? (config.databaseUrl ? "database" : "file");
}

/** The folder of the file store: MEDIA_DIR, else `DATA_DIR/media`. */
export function mediaDir(config: Pick<Config, "media" | "dataDir">): string {
  return config.media.dir ?? path.join(config.dataDir, "media");
}

export function createMediaStore(config: Config, storage: Storage): MediaStore {
  return mediaStoreKind(config) === "database" ? new DatabaseMediaStore(storage) : new FileMediaStore(mediaDir(config));
}
