import { z } from "zod";
import { domainSchema, queryInt, versionSchema, versionsSchema } from "./common.js";
import { summarySchema } from "./conversations.js";
import { entrySchema } from "./entries.js";
import { messageSchema } from "./messages.js";
import { lazy } from "./lazy.js";

export const PULL_LIMIT_DEFAULT = 100;
export const PULL_LIMIT_MAX = 500;

/** At most this many ranges in a pull's `only`. */
export const PULL_ONLY_RANGES_MAX = 64;

/**
 * Extension (docs/protocol.md, "sparse pulls"): of the page (after,
 * after+limit], send only these versions — what a client lacks between what
 * it holds — as ascending versions and ranges, `"4,6-9"`.
 */
const onlySchema = z
  .string()
  .max(PULL_ONLY_RANGES_MAX * 34)
  .regex(/^\d{1,16}(-\d{1,16})?(,\d{1,16}(-\d{1,16})?)*$/, "Only must list versions and ranges, like 4,6-9.");

export const pullRequestSchema = lazy(() => z.strictObject({
  d: domainSchema,
  after: versionSchema,
  limit: z.number().int().min(1).max(PULL_LIMIT_MAX).optional(),
  only: onlySchema.optional(),
}));
export type PullRequest = z.infer<typeof pullRequestSchema>;

/** `GET /api/sync/:d?after=&limit=[&only=]` */
export const pullQuerySchema = lazy(() => z.strictObject({
  after: queryInt(0, Number.MAX_SAFE_INTEGER),
  limit: queryInt(1, PULL_LIMIT_MAX).optional(),
  only: onlySchema.optional(),
}));

export type VersionRange = readonly [from: number, to: number];

/** `[[4, 4], [6, 9]]` → `"4,6-9"`. */
export function formatRanges(ranges: readonly VersionRange[]): string {
  return ranges.map(([from, to]) => (from === to ? String(from) : `${from}-${to}`)).join(",");
}

/** The entries of an ascending page whose versions lie in `ranges` (ascending): a sparse pull's answer. */
export function inRanges<E extends { v: number }>(entries: readonly E[], ranges: readonly VersionRange[]): E[] {
  let i = 0;
  return entries.filter((e) => {
    while (i < ranges.length && ranges[i]![1] < e.v) i++;
    return i < ranges.length && ranges[i]![0] <= e.v;
  });
}

/**
 * `"4,6-9"` → `[[4, 4], [6, 9]]`, or null unless the ranges ascend without
 * touching (`4,5` is `4-5`), all lie after `after`, and are at most
 * PULL_ONLY_RANGES_MAX.
 */
export function parseRanges(text: string, after: number): VersionRange[] | null {
  const parts = text.split(",");
  if (parts.length > PULL_ONLY_RANGES_MAX) return null;
  const ranges: VersionRange[] = [];
  let last = after;
  for (const part of parts) {
    const [from, to = from] = part.split("-").map(Number) as [number, number?];
    // After `after`; after the first, not touching the previous range either (4,5 is 4-5).
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from <= (ranges.length > 0 ? last + 1 : last) || to < from) return null;
    ranges.push([from, to]);
    last = to;
  }
  return ranges;
}

export const pullResponseSchema = lazy(() => z.object({
  d: domainSchema,
  entries: z.array(entrySchema),
  head: versionSchema,
  reset: z.boolean(),
}));
export type PullResponse = z.infer<typeof pullResponseSchema>;

export const snapshotSchema = lazy(() => z.object({
  heads: versionsSchema,
  conversations: z.array(summarySchema),
  messages: z.record(z.string(), z.array(messageSchema)),
}));
export type Snapshot = z.infer<typeof snapshotSchema>;
export const SNAPSHOT_MESSAGES_PER_CONVERSATION = 50;

export const ackRequestSchema = lazy(() => z.strictObject({
  acks: z
    .strictObject({
      chat: versionSchema.optional(),
      system: versionSchema.optional(),
      marketing: versionSchema.optional(),
    })
    .refine((a) => Object.keys(a).length > 0, "must name at least one domain."),
}));
export type AckRequest = z.infer<typeof ackRequestSchema>;

export const TRANSPORTS = ["ws", "sse", "poll"] as const;
export const transportNameSchema = lazy(() => z.enum(TRANSPORTS));
export type TransportName = z.infer<typeof transportNameSchema>;

export const helloSchema = lazy(() => z.object({
  userId: z.string(),
  deviceId: z.string(),
  heads: versionsSchema,
  ring: z.number().int().positive(),
  heartbeatMs: z.number().int().positive(),
  transport: transportNameSchema,
  /**
   * Extension (issue 13): the server's `RECALL_WINDOW_MS`, so the app offers
   * Recall exactly as long as the server allows it. Absent from older
   * servers: the app uses `RECALL_WINDOW_MS_DEFAULT`.
   */
  recallWindowMs: z.number().int().nonnegative().optional(),
}));
export type Hello = z.infer<typeof helloSchema>;

/**
 * Liveness (extension). A connection is declared dead by the side that has
 * seen no sign of life from the other for this many heartbeat intervals.
 */
export const LIVENESS_MISSES = 2;

/**
 * extension `POST /api/sync/ping` (needs `X-Device-Id`) → `{at, streams}`:
 * a heartbeat for clients on SSE. It counts as a sign of life of the device,
 * and the server writes `ping {at, echo}` on that device's SSE streams held
 * by the process that answered; `streams` says how many (0 proves nothing:
 * another process may hold the stream).
 * The socket.io `heartbeat` event takes the same payload and answers `{ok, at}`.
 */
export const PING_PATH = "/api/sync/ping";
export const pingRequestSchema = lazy(() => z.strictObject({ echo: z.string().max(64).optional() }));
export type PingRequest = z.infer<typeof pingRequestSchema>;
export const pingResponseSchema = lazy(() => z.object({ at: z.number(), streams: z.number().int().min(0) }));
export type PingResponse = z.infer<typeof pingResponseSchema>;
