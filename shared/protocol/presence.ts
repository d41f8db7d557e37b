import { z } from "zod";
import { idSchema } from "./common.js";
import { lazy } from "./lazy.js";

/**
 * Presence (issue 14, docs/marketplace.md "Presence"): typing, online / last
 * seen, and the setting that hides both. Typing is ephemeral: never in a
 * domain, never in the entry log; it reaches live connections only.
 */

/** `POST /api/typing` (SSE and long-poll) and the socket event `typing` (WebSocket): "I am typing in this conversation". */
export const TYPING_PATH = "/api/typing";
export const typingRequestSchema = lazy(() => z.strictObject({ conversationId: idSchema }));
export type TypingRequest = z.infer<typeof typingRequestSchema>;

/** The app signals at most this often while the composer's text changes. */
export const TYPING_SIGNAL_MS = 3000;
/** An indicator lasts this long after the last signal (or until that person's message arrives). */
export const TYPING_SHOWN_MS = 5000;
/**
 * The server relays at most one signal per user and conversation this often;
 * more are refused (429). Below TYPING_SIGNAL_MS, so an app that signals at
 * once for a new message right after sending one is not refused.
 */
export const TYPING_RELAY_GAP_MS = 500;

/** Someone (not you) is typing in a conversation you are in. */
export const typingFrameSchema = lazy(() => z.object({ conversationId: idSchema, userId: idSchema }));
export type TypingFrame = z.infer<typeof typingFrameSchema>;

/**
 * What a live connection is told outside the log: the socket event `typing`,
 * the SSE event `typing`, and in a long-poll answer the `ephemeral` list
 * (each item with its `type`).
 */
export const ephemeralFrameSchema = lazy(() => typingFrameSchema.extend({ type: z.literal("typing") }));
export type EphemeralFrame = z.infer<typeof ephemeralFrameSchema>;
/** Most ephemeral frames a long-poll answer carries (the newest). */
export const POLL_EPHEMERAL_MAX = 20;

/**
 * `GET /api/users/:id/presence` (someone you share a conversation with).
 * `online: null` means unknown: they hide it, you hide yours, or the
 * server cannot tell right now; `lastSeenAt` is null when hidden or never
 * recorded.
 */
export const presenceViewSchema = lazy(() => z.object({
  online: z.boolean().nullable(),
  lastSeenAt: z.number().nullable(),
}));
export type PresenceView = z.infer<typeof presenceViewSchema>;

/** `GET /api/me/presence` → this; `PATCH /api/me/presence` takes it and answers it. "Show when I'm online" (default on). */
export const PRESENCE_SETTINGS_PATH = "/api/me/presence";
export const presenceSettingsSchema = lazy(() => z.strictObject({ showOnline: z.boolean() }));
export type PresenceSettings = z.infer<typeof presenceSettingsSchema>;
