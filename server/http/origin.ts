import type { IncomingMessage } from "node:http";
import type { FastifyRequest } from "fastify";
import { isIP } from "node:net";
import { CourierError, POLL_PATH, STREAM_PATH } from "../../shared/protocol/index.js";
import { type Config, normaliseHost } from "../config.js";

/** What decides which hosts and origins a request may name. */
export type HostPolicy = Pick<Config, "trustProxy" | "allowedOrigins" | "allowedHosts">;

/** Names that only ever reach this machine: a DNS answer cannot make a browser send them. */
const LOOPBACK_NAMES = new Set(["localhost"]);

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

/** The host a request names, as the browser addressed it. */
export interface RequestedHost {
  /** host[:port], as sent (for messages). */
  host: string;
  /** Lower case, IPv6 without brackets, no trailing dot (normaliseHost). */
  hostname: string;
  /** `scheme://host[:port]`. */
  origin: string;
}

/** The last entry of a header a proxy may have appended to (the one our nearest proxy wrote). */
function lastEntry(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[value.length - 1] : value;
  const entry = text?.split(",").pop()?.trim();
  return entry || undefined;
}

/**
 * The Host a raw request names and the scheme it came over. Behind a trusted
 * proxy (TRUST_PROXY) X-Forwarded-Host and X-Forwarded-Proto say what the
 * browser used; their last entry is taken, the one our own proxy set or
 * appended (a client can put anything before it), as Fastify does.
 */
export function requestedHost(req: IncomingMessage, trustProxy: boolean | number): RequestedHost | null {
  const host = (trustProxy ? lastEntry(req.headers["x-forwarded-host"]) : undefined) ?? req.headers.host;
  if (!host) return null;
  const encrypted = "encrypted" in req.socket && req.socket.encrypted === true;
  const proto = (trustProxy ? lastEntry(req.headers["x-forwarded-proto"]) : undefined) ?? (encrypted ? "https" : "http");
  try {
    const url = new URL(`${proto}://${host}`);
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password || url.pathname !== "/" || url.search) return null;
    return { host, hostname: normaliseHost(url.hostname), origin: url.origin };
  } catch {
    return null;
  }
}

/** The host name of an origin from the configuration (resolveConfig keeps only valid ones). */
function hostnameOf(origin: string): string | null {
  try {
    return normaliseHost(new URL(origin).hostname);
  } catch {
    return null;
  }
}

/**
 * DNS rebinding: a page on evil.example whose name is re-pointed at this
 * server is, to the browser, same-origin with evil.example; its requests
 * carry `Host: evil.example` (and a matching Origin), and come from the
 * user's own machine. So the Host must be one of ours: a loopback name, a
 * host of ALLOWED_ORIGINS or of ALLOWED_HOSTS, or an IP literal (the port is
 * not compared: rebinding changes names, not ports). An IP literal cannot be
 * rebound: a page at http://192.0.2.7/ is served by whoever has that address,
 * so allowing them keeps a server reached by its LAN address working.
 */
export function isAllowedHost(hostname: string, policy: HostPolicy): boolean {
  return (
    isIP(hostname) !== 0 ||
    LOOPBACK_NAMES.has(hostname) ||
    policy.allowedHosts.includes(hostname) ||
    policy.allowedOrigins.some((origin) => hostnameOf(origin) === hostname)
  );
}

/**
 * scheme://Host of a raw request, only when that Host is allowed: a request
 * cannot make its own foreign Host (and a matching Origin) count as ours.
 */
export function ownOriginOf(req: IncomingMessage, policy: HostPolicy): string | null {
  const named = requestedHost(req, policy.trustProxy);
  return named && isAllowedHost(named.hostname, policy) ? named.origin : null;
}

export const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Requests that must name an allowed Host: every state change, and the streaming GETs (they register a device; a poll acks). */
export function needsAllowedHost(method: string, url: string): boolean {
  if (STATE_CHANGING.has(method)) return true;
  const path = url.split("?", 1)[0];
  return path === STREAM_PATH || path === POLL_PATH;
}

export const HOST_REFUSED_MESSAGE =
  "This server does not answer to the host name this request used. If it is meant to be reached by that name, its operator lists it in ALLOWED_HOSTS (or its origin in ALLOWED_ORIGINS).";

/**
 * True when a request names a Host that is not one of ours; the first such
 * request is logged (once per app) with the fix, since a real deployment
 * reached by a name we were not told about looks the same as an attack.
 * Hosts are cut short so a hostile one can't flood the log line.
 */
export function namesForeignHost(req: IncomingMessage, policy: HostPolicy, warnOnce: (key: string, details: object, message: string) => void): boolean {
  const named = requestedHost(req, policy.trustProxy);
  if (named && isAllowedHost(named.hostname, policy)) return false;
  warnOnce(
    "host-refused",
    { host: (named?.host ?? lastEntry(req.headers.host) ?? "").slice(0, 200) },
    "Refused a request naming a Host that is not one of this server's (DNS rebinding protection). " +
      "If people reach Courier by that name, add it to ALLOWED_HOSTS (comma-separated host names) or its origin to ALLOWED_ORIGINS; " +
      "behind a proxy, set TRUST_PROXY so X-Forwarded-Host is read. Loopback names and IP addresses are always allowed. Logged once.",
  );
  return true;
}

/** onRequest hook: state changes and streams must name an allowed Host (403 otherwise). */
export function hostGuard(policy: HostPolicy, warnOnce: (key: string, details: object, message: string) => void) {
  return async (req: FastifyRequest): Promise<void> => {
    if (needsAllowedHost(req.method, req.url) && namesForeignHost(req.raw, policy, warnOnce)) throw CourierError.forbidden(HOST_REFUSED_MESSAGE);
  };
}

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
