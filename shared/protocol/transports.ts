import { z } from "zod";
import { domainSchema, queryInt, uuidSchema, versionsSchema } from "./common.js";
import { parseCursor } from "./cursor.js";
import { entrySchema } from "./entries.js";
import { helloSchema } from "./sync.js";
import { ephemeralFrameSchema } from "./presence.js";
import { lazy } from "./lazy.js";

/**
 * The two HTTP transports for the server → client direction: Server-Sent
 * Events (`/api/stream`) and long-polling (`/api/poll`). Both take the
 * client's position as a cursor, so any server process can serve them.
 */

export const STREAM_PATH = "/api/stream";
export const POLL_PATH = "/api/poll";

/** The `retry:` an SSE stream announces: how long EventSource waits before reconnecting. */
export const SSE_RETRY_MS = 2000;
/** Longest a poll may park. */
export const POLL_WAIT_MAX_MS = 30_000;
/** Most entries one poll answers with (all domains together). */
export const POLL_ENTRIES_MAX = 500;
/** A device stays live this long after its poll ended, on top of that poll's `wait`. */
export const POLL_GRACE_MS = 5000;

/** A cursor in a query string or `Last-Event-ID`: `chat:<v>,system:<v>,marketing:<v>`, parsed. */
export const cursorTextSchema = lazy(() => z.string().transform((text, ctx) => {
  const versions = parseCursor(text);
  if (versions) return versions;
  ctx.addIssue({ code: "custom", message: "must look like chat:<v>,system:<v>,marketing:<v>" });
  return z.NEVER;
}));

/**
 * `GET /api/stream?device=&cursor=`. Unknown parameters (cache busters) are ignored.
 * extension `hb=1`: the client promises heartbeats (`POST /api/sync/ping`,
 * see sync.ts) at least every `heartbeatMs`; the server ends such a stream
 * when the device shows no sign of life for `LIVENESS_MISSES` intervals.
 * Without it a stream lives until its socket fails (contract behaviour).
 */
export const streamQuerySchema = lazy(() => z.object({
  device: uuidSchema,
  cursor: cursorTextSchema.optional(),
  // Any other value is ignored like an unknown parameter: only "1" opts in.
  hb: z.string().optional(),
}));

/**
 * `GET /api/poll?device=&cursor=&wait=`, and the extension `ack=`: what the
 * device has applied, when that is behind where it asks to continue (the web
 * client continues after what it received and acknowledges what it stored).
 * Without it the cursor is acknowledged.
 */
export const pollQuerySchema = lazy(() => z.object({
  device: uuidSchema,
  cursor: cursorTextSchema.optional(),
  ack: cursorTextSchema.optional(),
  wait: queryInt(0, POLL_WAIT_MAX_MS).optional(),
}));

export const pollResponseSchema = lazy(() => z.object({
  hello: helloSchema,
  entries: z.array(entrySchema),
  heads: versionsSchema,
  /** Where the next poll continues: after the entries of this answer. */
  cursor: z.string(),
  /** Domains whose cursor is older than the ring: take a snapshot. */
  reset: z.array(domainSchema).optional(),
  /** extension: the server ended this device's long-poll connection on purpose (as the SSE/socket `close` event); do not poll again by itself. */
  close: z.lazy(() => streamCloseSchema).optional(),
  /** extension (Presence): ephemeral frames (typing) heard for this device since its last answer; never in the log. */
  ephemeral: z.array(ephemeralFrameSchema).optional(),
}));
export type PollResponse = z.infer<typeof pollResponseSchema>;

/**
 * SSE event names. `hello` (data: Hello), `push` (data: Entry[], with `id:`
 * the cursor), `reset` (data: `{d}`), `ping` (data: `{at}`), and the
 * extension `close` (data: `{reason}`) sent right before the server ends a
 * stream on purpose.
 */
// extension (Presence): `typing` (data: TypingFrame), ephemeral, without an `id:`.
export const SSE_EVENTS = ["hello", "push", "reset", "ping", "close", "typing"] as const;
export type SseEventName = (typeof SSE_EVENTS)[number];

export const streamResetSchema = lazy(() => z.object({ d: domainSchema }));
/**
 * extension: why the server ended a stream (SSE `close` event, socket.io
 * `close` event). After `logout`/`device_removed` reconnecting gets 401.
 * `retryAfterMs`: the server asks the client not to reconnect before this
 * (spread per client on shutdown so a restart is not met by every client at once).
 */
// `too_many_connections`: the device or user went over its cap of live connections and this was
// the oldest; reconnecting would close another (a tab fight): wait for the person.
export const CLOSE_REASONS = ["logout", "device_removed", "shutdown", "dead", "too_many_connections"] as const;
export const streamCloseSchema = lazy(() => z.object({
  reason: z.enum(CLOSE_REASONS),
  retryAfterMs: z.number().int().min(0).max(600_000).optional(),
}));
export type StreamClose = z.infer<typeof streamCloseSchema>;
export type StreamCloseReason = StreamClose["reason"];

/** SSE `ping` data. `echo` is set when the ping answers a `POST /api/sync/ping` from this device. */
export const streamPingSchema = lazy(() => z.object({ at: z.number(), echo: z.string().max(64).optional() }));
export type StreamPing = z.infer<typeof streamPingSchema>;
