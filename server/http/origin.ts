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
export function ownOriginOf(req: IncomingMessage, trustProxy: boolean | number): string | null {
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

/**
 * The first refusal of a present-but-foreign Origin is logged once per app:
 * it is usually a deployment problem (a TLS-terminating proxy makes our own
 * origin look like http://internal-host), not an attack. Origins are not
 * secrets; they are cut short so a hostile one can't flood the log line.
 */
export function warnOriginRefused(
  warnOnce: (key: string, details: object, message: string) => void,
  origin: string,
  ownOrigin: string | null,
): void {
  warnOnce(
    "origin-refused",
    { origin: origin.slice(0, 200), ownOrigin },
    "Refused a request whose Origin is neither this server's own origin nor in ALLOWED_ORIGINS. " +
      "Behind a TLS-terminating proxy set TRUST_PROXY=true (or the number of proxies) or list the public origin in ALLOWED_ORIGINS. " +
      "Logged once.",
  );
}
