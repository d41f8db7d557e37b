import type Database from "better-sqlite3";
import type { Media } from "../../../shared/protocol/index.js";
import type { MediaRepo, MediaVariant, StoredMedia } from "../media-types.js";
import { currentMember } from "../membership-sql.js";
import { type MediaRow, toStoredMedia } from "../rows.js";

/** Photos: uploads, where they are shown, and the database media store's chunks (BLOBs). */
export class MediaRecordStore implements MediaRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO media (id, owner_id, mime, bytes, width, height, thumb_bytes, thumb_width, thumb_height, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare<[string], MediaRow>(`SELECT * FROM media WHERE id = ?`),
      getMany: db.prepare<[string], MediaRow>(`SELECT * FROM media WHERE id IN (SELECT value FROM json_each(?))`),
      // Both probes walk a media_id index; the member row is found by its primary key.
      sharedWith: db.prepare<[string, string, string], { ok: number }>(
        `SELECT EXISTS (SELECT 1 FROM item_photos WHERE media_id = ?)
             OR EXISTS (SELECT 1 FROM message_media mm
                        JOIN members mb ON mb.conversation_id = mm.conversation_id AND mb.user_id = ? AND ${currentMember("mb")}
                        WHERE mm.media_id = ?) AS ok`,
      ),
      attach: db.prepare(`INSERT INTO message_media (message_id, conversation_id, media_id, position) VALUES (?, ?, ?, ?)`),
      messageCopy: db.prepare(`UPDATE messages SET media = ? WHERE id = ?`),
      detach: db.prepare(`DELETE FROM message_media WHERE message_id = ?`),
      dropItemPhotos: db.prepare(`DELETE FROM item_photos WHERE item_id = ?`),
      itemPhoto: db.prepare(`INSERT INTO item_photos (item_id, media_id, position) VALUES (?, ?, ?)`),
      itemCopy: db.prepare(`UPDATE items SET photos = ? WHERE id = ?`),
      putChunk: db.prepare(`INSERT OR REPLACE INTO media_chunks (media_id, variant, n, bytes) VALUES (?, ?, ?, ?)`),
      chunk: db.prepare<[string, string, number], { bytes: Buffer }>(`SELECT bytes FROM media_chunks WHERE media_id = ? AND variant = ? AND n = ?`),
      dropChunks: db.prepare(`DELETE FROM media_chunks WHERE media_id = ?`),
    };
  }

  insert(m: StoredMedia): void {
    this.s.insert.run(m.id, m.ownerId, m.mime, m.bytes, m.width, m.height, m.thumbBytes, m.thumbWidth, m.thumbHeight, m.at);
  }

  get(id: string): StoredMedia | null {
    const row = this.s.get.get(id);
    return row ? toStoredMedia(row) : null;
  }

  getMany(ids: readonly string[]): StoredMedia[] {
    return ids.length === 0 ? [] : this.s.getMany.all(JSON.stringify(ids)).map(toStoredMedia);
  }

  sharedWith(mediaId: string, userId: string): boolean {
    return this.s.sharedWith.get(mediaId, userId, mediaId)!.ok === 1;
  }

  attach(message: { id: string; conversationId: string }, media: readonly Media[]): void {
    media.forEach((m, position) => this.s.attach.run(message.id, message.conversationId, m.id, position));
    this.s.messageCopy.run(media.length > 0 ? JSON.stringify(media) : null, message.id);
  }

  detach(messageId: string): void {
    this.s.detach.run(messageId);
    this.s.messageCopy.run(null, messageId);
  }

  setItemPhotos(itemId: string, media: readonly Media[]): void {
    this.s.dropItemPhotos.run(itemId);
    media.forEach((m, position) => this.s.itemPhoto.run(itemId, m.id, position));
    this.s.itemCopy.run(media.length > 0 ? JSON.stringify(media) : null, itemId);
  }

  putChunk(mediaId: string, variant: MediaVariant, n: number, bytes: Buffer): void {
    this.s.putChunk.run(mediaId, variant, n, bytes);
  }

  chunk(mediaId: string, variant: MediaVariant, n: number): Buffer | null {
    return this.s.chunk.get(mediaId, variant, n)?.bytes ?? null;
  }

  dropChunks(mediaId: string): void {
    this.s.dropChunks.run(mediaId);
  }
}
