import { z } from "zod";
import { domainSchema, idSchema, versionSchema } from "./common.js";
import { summarySchema } from "./conversations.js";
import { offerSchema, orderSchema } from "./items.js";
import { messageSchema } from "./messages.js";
import { blocksEntrySchema } from "./safety.js";
import { lazy } from "./lazy.js";

/**
 * Entry kinds and their payloads. The wire shape is `{d, v, k, at, data}`;
 * `k` decides `data`. Kinds a client does not know are skipped by consumers
 * but still advance the version (they are part of the contiguous stream).
 */
export const entryDataSchemas = lazy(() => ({
  msg: z.object({ message: messageSchema }),
  conv: z.object({ summary: summarySchema }),
  read: z.object({ conversationId: idSchema, userId: idSchema, seq: z.number().int().nonnegative() }),
  recall: z.object({
    conversationId: idSchema,
    messageId: idSchema,
    seq: z.number().int().positive(),
    by: idSchema,
    at: z.number(),
  }),
  /** Delete for me: in the hiding user's own domain only. */
  hide: z.object({ conversationId: idSchema, messageId: idSchema }),
  cmd: z.object({
    id: idSchema,
    name: z.string().min(1).max(64),
    args: z.record(z.string(), z.unknown()),
    deviceId: idSchema.optional(),
  }),
  /** extension: a member's devices have durably received up to seq */
  delivered: z.object({ conversationId: idSchema, userId: idSchema, seq: z.number().int().nonnegative() }),
  order: z.object({ order: orderSchema }),
  /** extension (offers, issue 14): an offer made, answered or closed, in both parties' system domain */
  offer: z.object({ offer: offerSchema }),
  notice: z.record(z.string(), z.unknown()),
  promo: z.record(z.string(), z.unknown()),
  /** extension (safety, issue 14): everyone the user blocks now, in full, in their own system domain */
  blocks: blocksEntrySchema,
} as const));

export type EntryKind = keyof typeof entryDataSchemas;
export type EntryData<K extends EntryKind> = z.infer<(typeof entryDataSchemas)[K]>;

/** Loose wire shape, validated per kind by consumers that need it. */
export const entrySchema = lazy(() => z.object({
  d: domainSchema,
  v: versionSchema.min(1),
  k: z.string().min(1).max(32),
  at: z.number(),
  data: z.unknown(),
}));
export type Entry = z.infer<typeof entrySchema>;

/** A typed view of an entry of a known kind. */
export type TypedEntry<K extends EntryKind> = Omit<Entry, "k" | "data"> & { k: K; data: EntryData<K> };

export function isKind<K extends EntryKind>(entry: Entry, k: K): entry is TypedEntry<K> {
  return entry.k === k;
}
