import { z } from "zod";
import { domainSchema, queryInt, versionSchema, versionsSchema } from "./common.js";
import { summarySchema } from "./conversations.js";
import { entrySchema } from "./entries.js";
import { messageSchema } from "./messages.js";

export const PULL_LIMIT_DEFAULT = 100;
export const PULL_LIMIT_MAX = 500;

export const pullRequestSchema = z.strictObject({
  d: domainSchema,
  after: versionSchema,
  limit: z.number().int().min(1).max(PULL_LIMIT_MAX).optional(),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

/** `GET /api/sync/:d?after=&limit=` */
export const pullQuerySchema = z.strictObject({
  after: queryInt(0, Number.MAX_SAFE_INTEGER),
  limit: queryInt(1, PULL_LIMIT_MAX).optional(),
});

export const pullResponseSchema = z.object({
  d: domainSchema,
  entries: z.array(entrySchema),
  head: versionSchema,
  reset: z.boolean(),
});
export type PullResponse = z.infer<typeof pullResponseSchema>;

export const snapshotSchema = z.object({
  heads: versionsSchema,
  conversations: z.array(summarySchema),
  messages: z.record(z.string(), z.array(messageSchema)),
});
export type Snapshot = z.infer<typeof snapshotSchema>;
export const SNAPSHOT_MESSAGES_PER_CONVERSATION = 50;

export const ackRequestSchema = z.strictObject({
  acks: z
    .strictObject({
      chat: versionSchema.optional(),
      system: versionSchema.optional(),
      marketing: versionSchema.optional(),
    })
    .refine((a) => Object.keys(a).length > 0, "acks is empty."),
});
export type AckRequest = z.infer<typeof ackRequestSchema>;

export const TRANSPORTS = ["ws", "sse", "poll"] as const;
export const transportNameSchema = z.enum(TRANSPORTS);
export type TransportName = z.infer<typeof transportNameSchema>;

export const helloSchema = z.object({
  userId: z.string(),
  deviceId: z.string(),
  heads: versionsSchema,
  ring: z.number().int().positive(),
  heartbeatMs: z.number().int().positive(),
  transport: transportNameSchema,
});
export type Hello = z.infer<typeof helloSchema>;
