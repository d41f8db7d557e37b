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

export function loggerOptions(level: LogLevel, custom: boolean | object | undefined): FastifyServerOptions["logger"] {
  if (!custom) return false;
  const base = {
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: {
      req: (req: RawRequestLike) => ({ method: req.method, url: req.url, remoteAddress: req.ip ?? req.socket?.remoteAddress }),
    },
  };
  return typeof custom === "object" ? { ...base, ...custom } : base;
}
