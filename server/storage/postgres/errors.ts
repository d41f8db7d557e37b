import { CourierError } from "../../../shared/protocol/index.js";

/**
 * What a PostgreSQL failure means for Courier. Three kinds matter:
 *
 * - the database is out of reach (down, restarting, refusing connections,
 *   the link broke): the request changed nothing durable and may be sent
 *   again, so it answers `503 unavailable` with a Retry-After;
 * - a conflict the engine resolves by running the transaction again: a
 *   deadlock, a serialization failure, or a unique key that a concurrent
 *   transaction inserted between a rule's check and its insert (on the retry
 *   the rule's check sees the row);
 * - text PostgreSQL cannot store (a NUL character): the client's fault, 400.
 *
 * Everything else is a bug and stays a plain error (500).
 */

export const UNAVAILABLE_MESSAGE = "The database is unavailable; try again shortly.";
/** What `Retry-After` tells clients while the database is down. */
export const UNAVAILABLE_RETRY_MS = 3000;

/** Socket-level failures (Node's errno codes) that mean the server is unreachable. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server that is going away or cannot take us now (class 08,
 * connection exceptions, is matched by prefix): admin shutdown, crash
 * shutdown, cannot connect now (starting up or in recovery), too many
 * connections.
 */
const DOWN_STATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** Errors pg raises itself, without a code, when a connection is lost or never made. */
const DOWN_MESSAGES = [
  /^Connection terminated/,
  /connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^timeout exceeded when trying to connect/,
  /^Connection terminated due to connection timeout/,
];

/** Deadlock, serialization failure, unique violation: run the whole transaction again. */
const RETRY_STATES = new Set(["40P01", "40001", "23505"]);

/** Invalid byte sequence (a NUL in text), untranslatable character. */
const BAD_TEXT_STATES = new Set(["22021", "22P05"]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The database could not be reached, or the connection to it broke. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.some(isConnectionError)) return true;
  const code = codeOf(error);
  if (code !== undefined && (NETWORK_CODES.has(code) || DOWN_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  const message = messageOf(error);
  return DOWN_MESSAGES.some((pattern) => pattern.test(message));
}

export function conflictKind(error: unknown): "deadlock" | "serialization" | "unique" {
  const code = codeOf(error);
  return code === "40P01" ? "deadlock" : code === "40001" ? "serialization" : "unique";
}

/** Waiting for a free pooled connection timed out (also what an unreachable server looks like while connecting). */
export function isPoolWait(error: unknown): boolean {
  return /^timeout exceeded when trying to connect/.test(messageOf(error));
}

/** A conflict that running the transaction again resolves. */
export function isRetryable(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && RETRY_STATES.has(code);
}

/** COMMIT was sent but its answer was lost with the connection: the write may or may not have been kept. */
export class CommitInDoubt extends Error {
  constructor(cause: unknown) {
    super("The connection to PostgreSQL was lost while committing.", { cause });
    this.name = "CommitInDoubt";
  }
}

/**
 * Not `unavailable` (which promises that nothing changed): `internal`, which
 * clients also retry; every write that matters is idempotent (a message by
 * its clientMsgId), so the retry finds what was kept.
 */
export function commitInDoubt(): CourierError {
  return new CourierError("internal", "The database connection was lost while saving; the change may have been kept. Retrying is safe.");
}

/** Conflicts that did not resolve in several runs: the request changed nothing and may be retried. */
export function busy(): CourierError {
  return CourierError.unavailable("The database is busy; try again shortly.", 1000);
}

export function unavailable(): CourierError {
  return CourierError.unavailable(UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_MS);
}

/**
 * The error a caller of `read`/`write` gets: protocol errors as they are,
 * an unreachable database as `unavailable`, text PostgreSQL refuses as
 * `bad_request`, anything else unchanged.
 */
export function translate(error: unknown): unknown {
  if (error instanceof CourierError) return error;
  if (error instanceof CommitInDoubt) return commitInDoubt();
  // Deadlocks and serialization failures that kept coming back: contention, worth a retry later. A unique
  // violation that survives every run is no race but a rule that did not check first: a bug, left as it is.
  if (isRetryable(error) && conflictKind(error) !== "unique") return busy();
  if (isConnectionError(error)) return unavailable();
  const code = codeOf(error);
  if (code !== undefined && BAD_TEXT_STATES.has(code)) return CourierError.badRequest("Text can't contain NUL characters.");
  return error;
}

/**
 * What may be logged about a database error: its code, and its message only
 * when it is about the connection. Never query parameters or `detail`, and not
 * the message of other database errors either: those can quote a value (a
 * username, a token hash, message text).
 */
export function describe(error: unknown): { code?: string; message?: string } {
  const code = codeOf(error);
  if (code === undefined) return { message: messageOf(error) };
  return isConnectionError(error) ? { code, message: messageOf(error) } : { code };
}
