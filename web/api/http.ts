import type { z } from "zod";
import { CourierError, errorBodySchema, isErrorCode, isErrorReason } from "../../shared/protocol/index.js";
import { NetworkError } from "./errors.js";

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions<S extends z.ZodType> {
  body?: unknown;
  query?: Query;
  /** Validates the response body; omit for `204 No Content`. */
  schema?: S;
  /** Cancels the request; it then fails with a NetworkError like a timeout. */
  signal?: AbortSignal;
  /** Deadline for the whole request, body included. */
  timeoutMs?: number;
}

/**
 * Without a deadline a request the network swallowed (a dead connection the
 * OS has not noticed, a stalled proxy) would hang forever, and the outbox and
 * the sync engine, which wait for it, with it.
 */
export const DEFAULT_TIMEOUT_MS = 15_000;

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/**
 * Thin JSON-over-fetch client. Same origin, cookie session
 * (`credentials: "include"`), every request tagged with the device id.
 * Every failure comes out as a CourierError (the server answered) or a
 * NetworkError (it did not, in time), so callers decide with one `decide()`.
 */
export class Http {
  private deviceId: string | null = null;
  /** Called on every `unauthorized` answer, so the app can ask to sign in again (the error's reason says why). */
  onUnauthorized: UnauthorizedHandler | null = null;

  constructor(
    private readonly base = "",
    private readonly fetchFn: Fetch = (input, init) => fetch(input, init),
  ) {}

  /** Sent as X-Device-Id; null while nobody is signed in (the id is per user, see device-db.ts). */
  setDeviceId(id: string | null): void {
    this.deviceId = id;
  }
  /** The device id requests carry (uploads send it too: api/upload.ts). */
  get device(): string | null {
    return this.deviceId;
  }

  async request<S extends z.ZodType>(method: string, path: string, opts: RequestOptions<S> = {}): Promise<z.output<S>> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.deviceId) headers["X-Device-Id"] = this.deviceId;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = opts.signal ? anySignal([opts.signal, timeout]) : timeout;
    // A timeout or an abort is a missing answer like any other: the caller retries.
    const noAnswer = (error: unknown, otherwise: string): NetworkError =>
      timeout.aborted
        ? new NetworkError(`${method} ${path} timed out`, { cause: error })
        : opts.signal?.aborted
          ? new NetworkError(`${method} ${path} was aborted`, { cause: error })
          : new NetworkError(otherwise, { cause: error });
    let response: Response;
    const sentAt = Date.now();
    try {
      response = await this.fetchFn(this.base + path + queryString(opts.query), {
        method,
        headers,
        body,
        credentials: "include",
        signal,
      });
    } catch (error) {
      throw noAnswer(error, "Network unavailable");
    }
    if (!response.ok) throw await toCourierError(response, this.onUnauthorized, sentAt);
    if (!opts.schema) return undefined as z.output<S>;
    let json: unknown;
    try {
      // NOTE: a 204 (or an empty 200) has no body at all; response.json() would throw.
      // The signal also covers the body: a stalled download times out too.
      const text = await response.text();
      json = text === "" ? undefined : JSON.parse(text);
    } catch (error) {
      // A proxy's HTML error page or a cut-off body.
      throw noAnswer(error, `Unreadable response from ${path}`);
    }
    const parsed = opts.schema.safeParse(json);
    if (!parsed.success) {
      throw new CourierError("internal", `Unexpected response from ${path}: ${parsed.error.issues[0]?.message ?? "malformed"}`);
    }
    return parsed.data;
  }
}

/** `AbortSignal.any`, with a fallback for browsers that predate it (Safari < 17.4). */
function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === "function") return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true, signal: controller.signal });
  }
  return controller.signal;
}

function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * Told of a `401` and when its request left (epoch ms): `signed_out_by_admin`
 * ends the session as the `sign_out` command does, unless that session is
 * not the one the request spoke for any more.
 */
export type UnauthorizedHandler = (error: CourierError, sentAt: number) => void;

export async function toCourierError(response: Response, onUnauthorized: UnauthorizedHandler | null, sentAt = Date.now()): Promise<CourierError> {
  let code: string | null = null;
  let reason: string | undefined;
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const parsed = errorBodySchema.safeParse(await response.json());
    if (parsed.success) {
      code = parsed.data.error.code;
      message = parsed.data.error.message;
      reason = parsed.data.error.reason;
    }
  } catch {
    // Not JSON (a proxy's page): fall back to the status.
  }
  const known = code !== null && isErrorCode(code) ? code : codeForStatus(response.status);
  const retryAfter = Number(response.headers.get("Retry-After"));
  // A reason this client has no words for (a newer server's) is dropped: the code describes it.
  const knownReason = reason !== undefined && isErrorReason(reason) ? reason : undefined;
  const error = new CourierError(known, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined, knownReason);
  if (known === "unauthorized") onUnauthorized?.(error, sentAt);
  return error;
}

function codeForStatus(status: number): CourierError["code"] {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 409:
      return "conflict";
    case 413:
      return "too_large";
    case 429:
      return "rate_limited";
    default:
      return "internal";
  }
}
