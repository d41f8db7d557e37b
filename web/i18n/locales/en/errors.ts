import type { ErrorCode } from "../../../../shared/protocol/errors.js";

/**
 * What the app says about a failed request. A server answer is described by
 * its code (shared/protocol/errors.ts), so every code the API can answer with
 * has its words here, in every language (the type makes a new code a compile
 * error until it has them).
 */
const codes = {
  bad_request: "That didn't work: something in it isn't right.",
  unauthorized: "Sign in again to continue.",
  forbidden: "You can't do that here.",
  not_found: "It isn't there any more.",
  timeout: "That took too long. Try again.",
  conflict: "Something changed in the meantime. Look again and retry.",
  too_large: "That is too large.",
  unsupported_media_type: "That file isn't a photo Courier can show (JPEG, PNG, WebP or GIF).",
  rate_limited: "Too many tries. Wait a moment and try again.",
  internal: "Something went wrong on the server. Try again.",
  unavailable: "Courier is briefly unavailable. Try again in a moment.",
} satisfies Record<ErrorCode, string>;

export default {
  codes,
  offline: "You appear to be offline. Try again when you're back.",
  unknown: "Something went wrong.",
};
