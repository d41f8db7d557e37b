import type { Media } from "../../../shared/protocol/index.js";
import type { MediaRepo, MediaVariant, StoredMedia } from "../media-types.js";
import { currentMember } from "../membership-sql.js";
import { type MediaRow, toStoredMedia } from "../rows.js";
import { type Db, first } from "./db.js";

const MEDIA_COLUMNS = `id, owner_id, mime, bytes, width, height, thumb_bytes, thumb_width, thumb_height, at`;

/** Photos: uploads, where they are shown, and the database media store's chunks (bytea, at most 256 KiB each). */
export class PgMedia implements MediaRepo {
  constructor(private readonly db: Db) {}

  async insert(m: StoredMedia): Promise<void> {
    await this.db.query(`INSERT INTO media (${MEDIA_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
      m.id,
      m.ownerId,
      m.mime,
      m.bytes,
      m.width,
      m.height,
      m.thumbBytes,
      m.thumbWidth,
      m.thumbHeight,
      m.at,
    ]);
  }

  get(id: string): Promise<StoredMedia | null> {
    return first(this.db, `SELECT ${MEDIA_COLUMNS} FROM media WHERE id = $1`, [id], toStoredMedia);
  }

  async getMany(ids: readonly string[]): Promise<StoredMedia[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<MediaRow>(`SELECT ${MEDIA_COLUMNS} FROM media WHERE id = ANY($1::text[])`, [ids]);
    return rows.map(toStoredMedia);
  }

  /** Both probes walk a media_id index; the member row is found by its primary key. */
  async sharedWith(mediaId: string, userId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM item_photos WHERE media_id = $1)
           OR EXISTS (SELECT 1 FROM message_media mm
                      JOIN members mb ON mb.conversation_id = mm.conversation_id AND mb.user_id = $2 AND ${currentMember("mb")}
                      WHERE mm.media_id = $1) AS ok`,
      [mediaId, userId],
    );
    return rows[0]?.ok === true;
  }

  async attach(message: { id: string; conversationId: string }, media: readonly Media[]): Promise<void> {
    await this.db.query(
      `INSERT INTO message_media (message_id, conversation_id, media_id, position)
       SELECT $1, $2, m.id, m.position - 1 FROM unnest($3::text[]) WITH ORDINALITY AS m(id, position)`,
      [message.id, message.conversationId, media.map((m) => m.id)],
    );
    await this.db.query(`UPDATE messages SET media = $2 WHERE id = $1`, [message.id, media.length > 0 ? JSON.stringify(media) : null]);
  }

  async detach(messageId: string): Promise<void> {
    await this.db.query(`DELETE FROM message_media WHERE message_id = $1`, [messageId]);
    await this.db.query(`UPDATE messages SET media = NULL WHERE id = $1`, [messageId]);
  }

  async setItemPhotos(itemId: string, media: readonly Media[]): Promise<void> {
    await this.db.query(`DELETE FROM item_photos WHERE item_id = $1`, [itemId]);
    await this.db.query(
      `INSERT INTO item_photos (item_id, media_id, position)
       SELECT $1, m.id, m.position - 1 FROM unnest($2::text[]) WITH ORDINALITY AS m(id, position)`,
      [itemId, media.map((m) => m.id)],
    );
    await this.db.query(`UPDATE items SET photos = $2 WHERE id = $1`, [itemId, media.length > 0 ? JSON.stringify(media) : null]);
  }

  async putChunk(mediaId: string, variant: MediaVariant, n: number, bytes: Buffer): Promise<void> {
    await this.db.query(
      `INSERT INTO media_chunks (media_id, variant, n, bytes) VALUES ($1, $2, $3, $4)
       ON CONFLICT (media_id, variant, n) DO UPDATE SET bytes = excluded.bytes`,
      [mediaId, variant, n, bytes],
    );
  }

  async chunk(mediaId: string, variant: MediaVariant, n: number): Promise<Buffer | null> {
    const { rows } = await this.db.query<{ bytes: Buffer }>(`SELECT bytes FROM media_chunks WHERE media_id = $1 AND variant = $2 AND n = $3`, [
      mediaId,
      variant,
      n,
    ]);
    return rows[0]?.bytes ?? null;
  }

  async dropChunks(mediaId: string): Promise<void> {
    await this.db.query(`DELETE FROM media_chunks WHERE media_id = $1`, [mediaId]);
  }
}
