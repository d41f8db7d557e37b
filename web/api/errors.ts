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
 * described by its reason when it has one this client knows (the refusals
 * people meet: a wrong password, a blocked person, a sold item…), else by its
 * code (docs/i18n.md, docs/protocol.md). The server writes its messages in
 * English and a reason's English words are that same sentence, so English
 * readers get the message as it came: identical for most reasons, and more
 * specific for the few whose message carries a detail (the seconds left to
 * recall, the new price, the name of the person who declined).
 */
export function describeError(error: unknown): string {
  if (error instanceof NetworkError) return t("errors.offline");
  if (error instanceof CourierError) {
    if (language() === "en") return error.message;
    return error.reason !== undefined ? t(`errors.reasons.${error.reason}`) : t(`errors.codes.${error.code}`);
  }
  if (error instanceof Error) return error.message;
  return t("errors.unknown");
}
