import { z } from "zod";
import { lazy } from "./lazy.js";

export const CAPABILITIES = ["ack"] as const;

export const pushSubscriptionSchema = lazy(() => z.strictObject({
  endpoint: z.url().max(2048),
  keys: z.strictObject({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
}));

export const deviceRegisterSchema = lazy(() => z.strictObject({
  protocol: z.number().int().min(1),
  // Unknown capabilities are kept (newer clients), but bounded.
  capabilities: z.array(z.string().min(1).max(32)).max(32),
  userAgent: z.string().max(512).optional(),
  notification: z.enum(["granted", "denied", "default"]).optional(),
  push: pushSubscriptionSchema.nullable().optional(),
}));
export type DeviceRegister = z.infer<typeof deviceRegisterSchema>;

export const deviceSchema = lazy(() => z.object({
  id: z.string(),
  userAgent: z.string().nullable(),
  capabilities: z.array(z.string()),
  notification: z.enum(["granted", "denied", "default"]).nullable(),
  push: z.boolean(),
  lastSeen: z.number(),
  online: z.boolean(),
  /** extension: which transport the device is live on, if any */
  transport: z.enum(["ws", "sse", "poll"]).nullable().optional(),
}));
export type Device = z.infer<typeof deviceSchema>;
