import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { CourierError, ERROR_STATUS, type ErrorBody, type ErrorCode, type ErrorInfo } from "../../shared/protocol/index.js";

/**
 * The one place errors become responses. Protocol errors keep their code and
 * status; Fastify's own (bad JSON, body too large, wrong content type) are
 * translated to protocol codes so bad input is always a 4xx with a clear
 * message. Anything else is our bug: 500, logged, with no detail leaked.
 */
const BY_FASTIFY_CODE: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "too_large", message: "Request body is larger than 64 KB." },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: "bad_request", message: "Send a JSON body with Content-Type: application/json." },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "bad_request", message: "Request body is not valid JSON." },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "bad_request", message: "Request body is empty." },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: "bad_request", message: "Request body size did not match Content-Length." },
  // The router's own refusals: Fastify's messages echo the whole URL, ours never do.
  FST_ERR_MAX_PARAM_LENGTH: { code: "bad_request", message: "That id is too long." },
  FST_ERR_BAD_URL: { code: "bad_request", message: "The address has a broken %-escape." },
};

const BY_STATUS: Record<number, ErrorCode> = {
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  429: "rate_limited",
};

/** Retry-After of requests and handshakes that reach a process stopping gracefully. */
const DRAIN_RETRY_MS = 2000;

/** What a process that has begun a graceful stop answers new work: 503 with a retry delay; the load balancer moves it. */
export const restarting = () => new CourierError("unavailable", "This server is restarting; try again shortly.", DRAIN_RETRY_MS);

export interface Mapped {
  status: number;
  info: ErrorInfo;
  retryAfterMs?: number;
}

function field(err: unknown, key: string): unknown {
  return typeof err === "object" && err !== null && key in err ? (err as Record<string, unknown>)[key] : undefined;
}

export function mapError(err: unknown): Mapped {
  if (err instanceof CourierError) return { status: err.status, info: err.toInfo(), retryAfterMs: err.retryAfterMs };
  const code = field(err, "code");
  const known = typeof code === "string" ? BY_FASTIFY_CODE[code] : undefined;
  if (known) return { status: ERROR_STATUS[known.code], info: known };
  const statusCode = field(err, "statusCode");
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) {
    const mapped = BY_STATUS[statusCode] ?? "bad_request";
    const message = field(err, "message");
    return { status: ERROR_STATUS[mapped], info: { code: mapped, message: typeof message === "string" ? message : "Bad request." } };
  }
  return { status: 500, info: { code: "internal", message: "Something went wrong on the server." } };
}

/**
 * A failure worth an error in the log: a 500 (our bug, or a commit in doubt).
 * A 503 `unavailable` is a refusal that changed nothing, answered thousands
 * of times a second when the database is down or behind: the engine logs the
 * outage (at most every few seconds) and `courier_errors_total` counts each.
 */
export function worthAnErrorLog(mapped: Mapped): boolean {
  return mapped.status >= 500 && mapped.info.code !== "unavailable";
}

/** Where error responses are counted by code (`courier_errors_total`): a decoration of the root instance, which every plugin's instance inherits. */
const ERROR_COUNTER = Symbol("courier.error-counter");
type ErrorCounter = (code: string) => void;

/** Every error response of `app` (all pass `sendError`) is told to `count`. Call before registering routes. */
export function countErrors(app: FastifyInstance, count: ErrorCounter): void {
  app.decorate(ERROR_COUNTER, count);
}

export function sendError(reply: FastifyReply, mapped: Mapped): FastifyReply {
  (reply.server as unknown as { [ERROR_COUNTER]?: ErrorCounter })[ERROR_COUNTER]?.(mapped.info.code);
  if (mapped.retryAfterMs !== undefined) reply.header("retry-after", Math.ceil(mapped.retryAfterMs / 1000));
  const body: ErrorBody = { error: mapped.info };
  return reply.code(mapped.status).type("application/json; charset=utf-8").send(body);
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const mapped = mapError(err);
    if (worthAnErrorLog(mapped)) req.log.error({ err }, "request failed");
    else req.log.info({ code: mapped.info.code }, "request refused");
    return sendError(reply, mapped);
  });
}

export function notFound(reply: FastifyReply, what = "No such route."): FastifyReply {
  return sendError(reply, { status: 404, info: { code: "not_found", message: what } });
}
