import { z } from "zod";
import { idSchema, MESSAGE_BODY_MAX, queryInt, uuidSchema } from "./common.js";

/** "system" (extension) is written by the server, e.g. for order steps. */
export const messageKindSchema = z.enum(["text", "system"]);

export const messageSchema = z.object({
  id: idSchema,
  conversationId: idSchema,
  seq: z.number().int().positive(),
  senderId: idSchema,
  clientMsgId: z.string(),
  kind: messageKindSchema,
  body: z.string(),
  at: z.number(),
  /** extension */
  recalled: z.boolean().optional(),
});
export type Message = z.infer<typeof messageSchema>;

export const sendRequestSchema = z.strictObject({
  clientMsgId: uuidSchema,
  conversationId: idSchema,
  kind: z.literal("text"),
  body: z
    .string()
    .min(1, "The message is empty.")
    .max(MESSAGE_BODY_MAX, `A message can be at most ${MESSAGE_BODY_MAX} characters.`)
    .refine((s) => s.trim().length > 0, "The message is empty."),
});
export type SendRequest = z.infer<typeof sendRequestSchema>;

export const historyQuerySchema = z.strictObject({
  before: queryInt(1, Number.MAX_SAFE_INTEGER).optional(),
  limit: queryInt(1, 100).optional(),
});
