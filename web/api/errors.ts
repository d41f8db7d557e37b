import { CourierError, decideOnError, type ErrorDecision } from "../../shared/protocol/index.js";
import { language, t } from "../i18n/index.js";

/**
 * The request never got an answer (offline, DNS, connection reset, socket
 * timeout). Distinct from CourierError, which is an answer from the server.
 */
export class NetworkError extends Error {
  constructor(message = "Network unavailable", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NetworkError";
  }

  static timeout(what: string): NetworkError {
    return new NetworkError(`${what} timed out`);
  }
}

/**
 * One decision per failure, for every caller (outbox, UI, sync source):
 * a missing answer is retried, a server answer is judged by its code.
 */
export function decide(error: unknown): ErrorDecision {
  if (error instanceof NetworkError) return "retry";
  if (error instanceof CourierError) return decideOnError(error.code);
  return "give_up";
}

/**
 * A message fit to show a person, in the app's language. A server answer is
 * described by its code (docs/i18n.md): the server writes its messages in
 * English, so English readers get its more specific sentence and everyone
 * else the code's translated one.
 */
export function describeError(error: unknown): string {
  if (error instanceof NetworkError) return t("errors.offline");
  if (error instanceof CourierError) return language() === "en" ? error.message : t(`errors.codes.${error.code}`);
  if (error instanceof Error) return error.message;
  return t("errors.unknown");
}
