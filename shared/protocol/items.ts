import { z } from "zod";
import { userSchema } from "./auth.js";
import { humanText, idSchema } from "./common.js";

export const itemSchema = z.object({
  id: idSchema,
  sellerId: idSchema,
  title: z.string(),
  priceCents: z.number().int(),
  description: z.string(),
  status: z.enum(["listed", "sold"]),
  at: z.number(),
  /** extension: who sells it, so a buyer sees a name without another request */
  seller: userSchema.optional(),
});
export type Item = z.infer<typeof itemSchema>;

export const createItemSchema = z.strictObject({
  title: humanText(120, { trim: true, name: true }),
  priceCents: z.number().int().min(0).max(100_000_000_00),
  description: humanText(2000, { clearable: true }).optional(),
});
export type CreateItem = z.infer<typeof createItemSchema>;

/**
 * extension: the minimal order flow of an item conversation.
 * bought (buyer) → shipped (seller) → received (buyer).
 */
export const ORDER_STATUSES = ["bought", "shipped", "received"] as const;
export const orderStatusSchema = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof orderStatusSchema>;

export const orderSchema = z.object({
  id: idSchema,
  itemId: idSchema,
  conversationId: idSchema,
  buyerId: idSchema,
  sellerId: idSchema,
  status: orderStatusSchema,
  at: z.number(),
});
export type Order = z.infer<typeof orderSchema>;

/** `POST /api/orders {itemId}` — the buyer buys. */
export const createOrderSchema = z.strictObject({ itemId: idSchema });
/** `PATCH /api/orders/:id {status}` — shipped (seller) or received (buyer). */
export const advanceOrderSchema = z.strictObject({ status: z.enum(["shipped", "received"]) });
