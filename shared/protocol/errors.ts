import { z } from "zod";

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

export const errorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
});
export type ErrorInfo = { code: ErrorCode; message: string };

/** HTTP error body: `{"error": {"code", "message"}}`. */
export const errorBodySchema = z.object({ error: errorInfoSchema });
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

  constructor(code: ErrorCode, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "CourierError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterMs = retryAfterMs;
  }

  static badRequest(message: string): CourierError {
    return new CourierError("bad_request", message);
  }
  static unauthorized(message = "Sign in first."): CourierError {
    return new CourierError("unauthorized", message);
  }
  static forbidden(message: string): CourierError {
    return new CourierError("forbidden", message);
  }
  static notFound(message: string): CourierError {
    return new CourierError("not_found", message);
  }
  static conflict(message: string): CourierError {
    return new CourierError("conflict", message);
  }
  static tooLarge(message: string): CourierError {
    return new CourierError("too_large", message);
  }
  /** A dependency (the database) is down: nothing changed, the same request may be sent again after `retryAfterMs`. */
  static unavailable(message: string, retryAfterMs: number): CourierError {
    return new CourierError("unavailable", message, retryAfterMs);
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}
