import { ECDH } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { CourierError } from "../../shared/protocol/index.js";
import { normaliseHost } from "../config.js";
import type { StoredPushSubscription } from "../storage/push-types.js";
import { type HostPolicy, isPublicAddress } from "./net-guard.js";

/** Resolves a host name to its addresses (injected in tests). */
export type Resolver = (host: string) => Promise<string[]>;

export const RESOLVE_TIMEOUT_MS = 3000;

export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Strict base64url (padding tolerated): null for anything else. */
export function decodeBase64Url(text: string): Buffer | null {
  if (!BASE64URL.test(text)) return null;
  return Buffer.from(text.replace(/=+$/, ""), "base64url");
}

const bad = (message: string) => CourierError.badRequest(message);

/** `p256dh`: a 65-byte uncompressed P-256 point on the curve; `auth`: 16 bytes. */
export function checkKeys(keys: { p256dh: string; auth: string }): void {
  const p256dh = decodeBase64Url(keys.p256dh);
  if (!p256dh) throw bad("Invalid push.keys.p256dh: must be base64url.");
  if (p256dh.length !== 65 || p256dh[0] !== 0x04) {
    throw bad(`Invalid push.keys.p256dh: must be a 65-byte uncompressed P-256 point (got ${p256dh.length} bytes).`);
  }
  try {
    // Throws for a point that is not on the curve.
    ECDH.convertKey(p256dh, "prime256v1", undefined, undefined, "uncompressed");
  } catch {
    throw bad("Invalid push.keys.p256dh: not a point on the P-256 curve.");
  }
  const auth = decodeBase64Url(keys.auth);
  if (!auth) throw bad("Invalid push.keys.auth: must be base64url.");
  if (auth.length !== 16) throw bad(`Invalid push.keys.auth: must be 16 bytes (got ${auth.length}).`);
}

/** The endpoint's shape and host, before any lookup. Returns the normalised host. */
export function checkEndpointShape(endpoint: string, policy: HostPolicy): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw bad("Invalid push.endpoint: not a URL.");
  }
  if (url.protocol !== "https:") throw bad("Invalid push.endpoint: must be an https: URL.");
  if (url.username || url.password) throw bad("Invalid push.endpoint: must not carry a user name or password.");
  const host = normaliseHost(url.hostname);
  if (!host) throw bad("Invalid push.endpoint: has no host.");
  const refused = policy.refuseLiteral(host);
  if (refused) throw bad(`Invalid push.endpoint: ${refused}.`);
  return host;
}

async function resolveWithin(resolve: Resolver, host: string, ms: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      resolve(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Validates a subscription a device registers (`PUT /api/devices/:id`):
 * an `https:` endpoint whose host is public (every address it resolves to) or
 * listed in PUSH_ALLOW_HOSTS, and keys the encryption needs. Throws a 400
 * `CourierError` naming what is wrong; the endpoint is never echoed (its path
 * is a secret capability).
 */
export async function validateSubscription(
  sub: StoredPushSubscription,
  policy: HostPolicy,
  resolve: Resolver = systemResolver,
  timeoutMs = RESOLVE_TIMEOUT_MS,
): Promise<void> {
  const host = checkEndpointShape(sub.endpoint, policy);
  checkKeys(sub.keys);
  if (policy.isAllowed(host) || isIP(host) !== 0) return;
  let addresses: string[];
  try {
    addresses = await resolveWithin(resolve, host, timeoutMs);
  } catch {
    throw bad("Invalid push.endpoint: its host could not be resolved.");
  }
  if (addresses.length === 0) throw bad("Invalid push.endpoint: its host could not be resolved.");
  if (addresses.some((a) => !isPublicAddress(a))) {
    throw bad("Invalid push.endpoint: its host resolves to a private, loopback or link-local address.");
  }
}
