import { z } from "zod";
import { userSchema } from "./auth.js";
import { idSchema } from "./common.js";
import { itemSchema, orderSchema } from "./items.js";
import { messageSchema } from "./messages.js";

export const conversationTypeSchema = z.enum(["direct", "item", "group"]);
export type ConversationType = z.infer<typeof conversationTypeSchema>;

export const conversationSchema = z.object({
  id: idSchema,
  type: conversationTypeSchema,
  itemId: idSchema.optional(),
  title: z.string().optional(),
  memberIds: z.array(idSchema),
  lastSeq: z.number().int().nonnegative(),
  at: z.number(),
});
export type Conversation = z.infer<typeof conversationSchema>;

/** extension: how far each member's devices got (delivered) and read. */
export const receiptSchema = z.object({
  userId: idSchema,
  deliveredSeq: z.number().int().nonnegative(),
  readSeq: z.number().int().nonnegative(),
});
export type Receipt = z.infer<typeof receiptSchema>;

/** One user's view of a conversation. */
export const summarySchema = z.object({
  conversationId: idSchema,
  conversation: conversationSchema,
  lastMessage: messageSchema.nullable(),
  unread: z.number().int().nonnegative(),
  readSeq: z.number().int().nonnegative(),
  muted: z.boolean(),
  pinned: z.boolean(),
  remark: z.string(),
  label: z.string(),
  /** extension: the members, so a client can show names without extra calls */
  members: z.array(userSchema).optional(),
  /** extension: the listing of an item conversation */
  item: itemSchema.nullable().optional(),
  /** extension: the order of an item conversation, if any */
  order: orderSchema.nullable().optional(),
  /** extension: delivery and read positions of every member */
  receipts: z.array(receiptSchema).optional(),
});
export type Summary = z.infer<typeof summarySchema>;

export const createConversationSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("direct"), peerId: idSchema }),
  z.strictObject({ type: z.literal("item"), itemId: idSchema }),
  z.strictObject({
    type: z.literal("group"),
    title: z.string().trim().min(1).max(100),
    memberIds: z.array(idSchema).min(1).max(200),
  }),
]);
export type CreateConversation = z.infer<typeof createConversationSchema>;

export const settingsPatchSchema = z
  .strictObject({
    muted: z.boolean().optional(),
    pinned: z.boolean().optional(),
    remark: z.string().max(100).optional(),
    label: z.string().max(40).optional(),
  })
  .refine((p) => Object.keys(p).length > 0, "Nothing to change.");
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** extension: `POST /api/conversations/:id/read {seq}` marks read up to seq. */
export const markReadSchema = z.strictObject({ seq: z.number().int().nonnegative() });
