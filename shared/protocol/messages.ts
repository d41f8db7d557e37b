import { z } from "zod";
import { humanText, idSchema, MESSAGE_BODY_MAX, queryInt, uuidSchema } from "./common.js";

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
  /** Stored as sent (not trimmed): what the sender typed is what every member sees. */
  body: humanText(MESSAGE_BODY_MAX),
});
export type SendRequest = z.infer<typeof sendRequestSchema>;

export const historyQuerySchema = z.strictObject({
  before: queryInt(1, Number.MAX_SAFE_INTEGER).optional(),
  limit: queryInt(1, 100).optional(),
});
