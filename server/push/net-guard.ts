import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { normaliseHost } from "../config.js";

/**
 * Keeps the push sender from being aimed at internal hosts (SSRF): push
 * endpoints come from clients, so the server would otherwise POST wherever a
 * client says. Only public unicast addresses are reachable, unless the host is
 * listed in PUSH_ALLOW_HOSTS. Checked when a subscription is registered and
 * again on every connection (a name may resolve elsewhere later).
 */

/** IPv4 ranges that are not public unicast (RFC 6890 and friends). */
const V4_SPECIAL: [string, number][] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local (cloud metadata lives here)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and broadcast
];

/** Inside global unicast (2000::/3), the ranges that are still special. */
const V6_SPECIAL: [string, number][] = [
  ["2001::", 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID…)
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4 (embeds an IPv4 address)
  ["3fff::", 20], // documentation
];

const v4Special = new BlockList();
for (const [net, prefix] of V4_SPECIAL) v4Special.addSubnet(net, prefix, "ipv4");
const v6Special = new BlockList();
for (const [net, prefix] of V6_SPECIAL) v6Special.addSubnet(net, prefix, "ipv6");
const v6Global = new BlockList();
v6Global.addSubnet("2000::", 3, "ipv6");

/**
 * True only for a public unicast address. Everything else — loopback,
 * private, link-local, unique-local, multicast, documentation, and IPv6 forms
 * that embed IPv4 (mapped, NAT64, 6to4) — is refused.
 */
export function isPublicAddress(address: string): boolean {
  const ip = normaliseHost(address);
  switch (isIP(ip)) {
    case 4:
      return !v4Special.check(ip, "ipv4");
    case 6:
      return v6Global.check(ip, "ipv6") && !v6Special.check(ip, "ipv6");
    default:
      return false;
  }
}

/** `localhost` and `*.localhost` always mean this machine (RFC 6761). */
export function isLocalhostName(host: string): boolean {
  const h = normaliseHost(host);
  return h === "localhost" || h.endsWith(".localhost");
}

/** Hosts the operator allowed explicitly (PUSH_ALLOW_HOSTS), compared normalised. */
export class HostPolicy {
  private readonly allowed: Set<string>;

  constructor(allowHosts: readonly string[]) {
    this.allowed = new Set(allowHosts.map(normaliseHost));
  }

  isAllowed(host: string): boolean {
    return this.allowed.has(normaliseHost(host));
  }

  /**
   * A reason the host may not be contacted without looking it up, or null:
   * a literal address must be public, `localhost` never is.
   */
  refuseLiteral(host: string): string | null {
    if (this.isAllowed(host)) return null;
    if (isLocalhostName(host)) return "localhost is not a push service";
    if (isIP(normaliseHost(host)) !== 0 && !isPublicAddress(host)) {
      return "a private, loopback, link-local or reserved address is not a push service";
    }
    return null;
  }

  /**
   * A `lookup` for net/tls connections that refuses names resolving to a
   * non-public address (unless the name is allowed), so a name that pointed
   * somewhere public when it was registered can't be re-pointed inside later.
   */
  guardedLookup(resolve: typeof dnsLookup = dnsLookup): LookupFunction {
    return (hostname, options, callback) => {
      resolve(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, "", 0);
        const list = addresses ?? [];
        if (!this.isAllowed(hostname) && (list.length === 0 || list.some((a) => !isPublicAddress(a.address)))) {
          const refused = Object.assign(new Error("push endpoint host resolves to a non-public address"), { code: "EPUSHBLOCKED" });
          return callback(refused, "", 0);
        }
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
        const first = list[0]!;
        callback(null, first.address, first.family);
      });
    };
  }
}
