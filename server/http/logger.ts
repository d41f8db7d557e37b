import { hostname } from "node:os";
import type { FastifyServerOptions } from "fastify";
import type { LogLevel } from "../config.js";

/**
 * Logger settings. Requests are logged by method, path and client only:
 * never headers (sessions live in Authorization and Cookie) and never bodies
 * (passwords, message text). The redact paths are a second line of defence
 * should someone log a request object whole.
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
  'res.headers["set-cookie"]',
  "body",
  "req.body",
  "password",
  "token",
];

interface RawRequestLike {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** A search's `q` (what someone looks for in their messages) is as private as the messages: the URL is logged without it. */
export function withoutSearchText(url: string | undefined): string | undefined {
  return url?.replace(/([?&]q=)[^&#]*/g, "$1[redacted]");
}

/**
 * JSON lines (pino through Fastify): `level`, `time`, `pid`, `hostname`, `node`
 * (NODE_ID: the same name as in traces and the dashboard), `msg`; request
 * lines add `reqId`, `req` (method, url without a search's text, client) and
 * `res` (status), `responseTime`.
 */
export function loggerOptions(level: LogLevel, custom: boolean | object | undefined, node?: string): FastifyServerOptions["logger"] {
  if (!custom) return false;
  const base = {
    level,
    base: { pid: process.pid, hostname: hostname(), ...(node ? { node } : {}) },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: {
      req: (req: RawRequestLike) => ({ method: req.method, url: withoutSearchText(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress }),
    },
  };
  return typeof custom === "object" ? { ...base, ...custom } : base;
}
