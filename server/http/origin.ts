import type { IncomingMessage } from "node:http";

/**
 * Cross-site request refusal. Cookies ride along on requests other sites
 * trigger, so anything authenticated by cookie that changes state (and every
 * socket handshake that carries an Origin) must come from the server's own
 * origin or one listed in ALLOWED_ORIGINS.
 */
export function isAllowedOrigin(origin: string, ownOrigin: string | null, allowed: readonly string[]): boolean {
  let normalised: string;
  try {
    normalised = new URL(origin).origin;
  } catch {
    return false;
  }
  if (normalised === "null") return false;
  return normalised === ownOrigin || allowed.includes(normalised);
}

/** scheme://Host of a raw request; X-Forwarded-* only when the proxy is trusted. */
export function ownOriginOf(req: IncomingMessage, trustProxy: boolean): string | null {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(",")[0]?.trim();
  const host = (trustProxy ? first(req.headers["x-forwarded-host"]) : undefined) ?? req.headers.host;
  if (!host) return null;
  const encrypted = "encrypted" in req.socket && req.socket.encrypted === true;
  const proto = (trustProxy ? first(req.headers["x-forwarded-proto"]) : undefined) ?? (encrypted ? "https" : "http");
  try {
    return new URL(`${proto}://${host}`).origin;
  } catch {
    return null;
  }
}

export const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
