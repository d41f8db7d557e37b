import type { Media } from "../../shared/protocol/index.js";
import type { Answer } from "./tx.js";

/** The two renditions of an upload: the re-encoded image and its thumbnail. */
export type MediaVariant = "full" | "thumb";

/** An upload as stored (table `media`); its bytes are in the media store (a folder, or `media_chunks`). */
export interface StoredMedia {
  id: string;
  ownerId: string;
  mime: string;
  bytes: number;
  width: number;
  height: number;
  thumbBytes: number;
  thumbWidth: number;
  thumbHeight: number;
  at: number;
}

/**
 * Photos (docs/marketplace.md "Photos"): who uploaded what, where each is
 * shown (`message_media`, `item_photos`, which decide who may see it), and,
 * for the database media store, the bytes in chunks.
 */
export interface MediaRepo {
  insert(m: StoredMedia): Answer<void>;
  get(id: string): Answer<StoredMedia | null>;
  /** Those of `ids` that exist, in no particular order. */
  getMany(ids: readonly string[]): Answer<StoredMedia[]>;
  /** Whether a listing shows it, or a message carries it in a conversation where `userId` is a current member. */
  sharedWith(mediaId: string, userId: string): Answer<boolean>;
  /** The message carries these photos, in this order: the rows access is checked by, and the message's own copy (`message.media`). */
  attach(message: { id: string; conversationId: string }, media: readonly Media[]): Answer<void>;
  /** The message carries no photos any more (a recall): neither the rows nor its copy. */
  detach(messageId: string): Answer<void>;
  /** The listing's photos are these now, in this order (none: `[]`): rows and the item's copy (`item.photos`). */
  setItemPhotos(itemId: string, media: readonly Media[]): Answer<void>;
  /** One chunk of bytes of the database media store. */
  putChunk(mediaId: string, variant: MediaVariant, n: number, bytes: Buffer): Answer<void>;
  /** The chunk `n` (from 0), or null past the last one. */
  chunk(mediaId: string, variant: MediaVariant, n: number): Answer<Buffer | null>;
  /** Drops every chunk of an upload (one that failed before its row was written). */
  dropChunks(mediaId: string): Answer<void>;
}
