import { CourierError, decideOnError, type ErrorDecision } from "../../shared/protocol/index.js";

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

/** A message fit to show a person. */
export function describeError(error: unknown): string {
  if (error instanceof NetworkError) return "You appear to be offline. Try again when you're back.";
  if (error instanceof CourierError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
