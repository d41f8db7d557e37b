import { z } from "zod";
import { lazy } from "./lazy.js";

/** Every error code the API can answer with, and the HTTP status it maps to. */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /** The request did not arrive in time (a slow or stalled client); sending it again is safe. */
  timeout: 408,
  conflict: 409,
  too_large: 413,
  /** An upload that is not a supported image (POST /api/media: JPEG, PNG, WebP, GIF, judged by the content). */
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * Why, more precisely than the code, for the refusals people meet in the app
 * (docs/protocol.md lists them): a stable snake_case id the client has words
 * for in every language (web/i18n/locales/<lang>/errors.ts `reasons`). The
 * message stays the server's English sentence; a reason is optional, an old
 * client ignores it, and a client that does not know one falls back to the
 * code. The reasons marked "detail" have a message with a number or a name
 * in it (seconds, a price, a status) that the reason's words leave out.
 */
export const ERROR_REASONS = [
  // Accounts and sessions
  "wrong_password",
  "username_taken",
  "common_password",
  "wrong_current_password",
  "session_ended",
  "signed_out_by_admin",
  "device_other_account",
  // Conversations, groups, people
  "not_member",
  "left_group",
  "group_request_pending",
  "conversation_not_found",
  "user_not_found",
  "group_admin_only",
  "group_creator_only",
  "group_declined", // detail: the person's name
  "group_needs_member",
  "group_add_self",
  "blocked",
  "blocked_start",
  "block_self",
  // Messages
  "message_not_found",
  "quote_recalled",
  "recall_not_sender",
  "recall_offer",
  "recall_expired", // detail: the seconds
  // Listings, offers, orders
  "item_not_found",
  "own_listing_chat",
  "own_listing_offer",
  "own_listing_buy",
  "item_sold",
  "item_withdrawn",
  "item_reserved",
  "listing_sold",
  "listing_seller_only",
  "offer_already_open",
  "counter_offer_open",
  "offer_closed", // detail: how it closed
  "price_changed", // detail: the new price
  "cancel_reason_required",
  // Photos
  "unsupported_photo",
  "photo_too_large", // detail: the limit in MB
] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

export function isErrorReason(reason: string): reason is ErrorReason {
  return (ERROR_REASONS as readonly string[]).includes(reason);
}

export const errorInfoSchema = lazy(() => z.object({
  code: z.string(),
  message: z.string(),
  /** Optional (added after 1.0): clients that predate it ignore it, and a missing one means "only the code". */
  reason: z.string().optional(),
}));
export type ErrorInfo = { code: ErrorCode; message: string; reason?: ErrorReason };

/** HTTP error body: `{"error": {"code", "message", "reason"?}}`. */
export const errorBodySchema = lazy(() => z.object({ error: errorInfoSchema }));
export type ErrorBody = { error: ErrorInfo };

/** socket.io acknowledgement: `{ok: true, ...}` or `{ok: false, error}`. */
export type AckResult<T extends object> = ({ ok: true } & T) | { ok: false; error: ErrorInfo };

/**
 * What a client should do about an error. One place decides it so every
 * caller (UI, outbox, sync engine) reacts the same way.
 */
export type ErrorDecision = "retry" | "reauth" | "give_up";

export function decideOnError(code: string): ErrorDecision {
  switch (code) {
    case "unauthorized":
      return "reauth";
    case "rate_limited":
    case "timeout":
    case "internal":
    case "unavailable":
      return "retry";
    default:
      return "give_up";
  }
}

/** An error with a protocol code; thrown by server code and by client API wrappers. */
export class CourierError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterMs?: number;
  /** The precise why (see ERROR_REASONS), when there is one; a client keeps only the reasons it knows. */
  readonly reason?: ErrorReason;

  constructor(code: ErrorCode, message: string, retryAfterMs?: number, reason?: ErrorReason) {
    super(message);
    this.name = "CourierError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterMs = retryAfterMs;
    if (reason !== undefined) this.reason = reason;
  }

  static badRequest(message: string, reason?: ErrorReason): CourierError {
    return new CourierError("bad_request", message, undefined, reason);
  }
  static unauthorized(message = "Sign in first.", reason?: ErrorReason): CourierError {
    return new CourierError("unauthorized", message, undefined, reason);
  }
  static forbidden(message: string, reason?: ErrorReason): CourierError {
    return new CourierError("forbidden", message, undefined, reason);
  }
  static notFound(message: string, reason?: ErrorReason): CourierError {
    return new CourierError("not_found", message, undefined, reason);
  }
  static conflict(message: string, reason?: ErrorReason): CourierError {
    return new CourierError("conflict", message, undefined, reason);
  }
  static tooLarge(message: string, reason?: ErrorReason): CourierError {
    return new CourierError("too_large", message, undefined, reason);
  }
  /** A dependency (the database) is down: nothing changed, the same request may be sent again after `retryAfterMs`. */
  static unavailable(message: string, retryAfterMs: number): CourierError {
    return new CourierError("unavailable", message, retryAfterMs);
  }

  toInfo(): ErrorInfo {
    return this.reason === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, reason: this.reason };
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}
