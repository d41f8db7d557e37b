import { ECDH, createECDH } from "node:crypto";
import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { HostPolicy, isLocalhostName, isPublicAddress } from "./net-guard.js";
import { checkKeys, decodeBase64Url, validateSubscription } from "./subscription.js";
import { makeSubscriber } from "./testing/web-push-client.js";

describe("push endpoint addresses", () => {
  it("accepts only public unicast addresses", () => {
    for (const ip of ["8.8.8.8", "93.184.216.34", "142.250.74.46", "2606:4700:4700::1111", "2a00:1450:4001:82a::200a", "[2001:4860:4860::8888]"]) {
      expect(isPublicAddress(ip), ip).toBe(true);
    }
    const internal = [
      "127.0.0.1", "127.255.255.254", "0.0.0.0", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
      "100.64.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1",
      "::", "::1", "[::1]", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8", "64:ff9b::808:808",
      "2001:db8::1", "2002:7f00:1::1", "2001::1", "3fff::1", "not-an-ip", "",
    ];
    for (const ip of internal) expect(isPublicAddress(ip), ip).toBe(false);
  });

  it("knows localhost names and the allow list", () => {
    expect(isLocalhostName("localhost")).toBe(true);
    expect(isLocalhostName("LOCALHOST.")).toBe(true);
    expect(isLocalhostName("push.localhost")).toBe(true);
    expect(isLocalhostName("localhost.example.com")).toBe(false);
    const policy = new HostPolicy(["127.0.0.1", "Push.Test", "[::1]"]);
    expect(policy.isAllowed("127.0.0.1")).toBe(true);
    expect(policy.isAllowed("push.test.")).toBe(true);
    expect(policy.isAllowed("[::1]")).toBe(true);
    expect(policy.refuseLiteral("127.0.0.1")).toBeNull();
    expect(policy.refuseLiteral("127.0.0.2")).toMatch(/private, loopback/);
    expect(policy.refuseLiteral("localhost")).toMatch(/localhost/);
    expect(policy.refuseLiteral("push.example.com")).toBeNull();
  });

  it("refuses, at connect time, a name that resolves to an internal address unless it is allowed", async () => {
    const fake = (addresses: LookupAddress[]) =>
      ((_host: string, _opts: object, cb: (err: null, a: LookupAddress[]) => void) => cb(null, addresses)) as unknown as typeof import("node:dns").lookup;
    const lookup = (policy: HostPolicy, addresses: LookupAddress[], host: string, all: boolean) =>
      new Promise<{ err: (Error & { code?: string }) | null; result: unknown }>((resolve) =>
        policy.guardedLookup(fake(addresses))(host, { all }, (err: NodeJS.ErrnoException | null, result: unknown) => resolve({ err, result })),
      );
    const policy = new HostPolicy(["push.internal"]);
    const rebound = await lookup(policy, [{ address: "93.184.216.34", family: 4 }, { address: "10.0.0.5", family: 4 }], "push.example.com", true);
    expect(rebound.err?.code).toBe("EPUSHBLOCKED");
    const ok = await lookup(policy, [{ address: "93.184.216.34", family: 4 }], "push.example.com", false);
    expect(ok.err).toBeNull();
    expect(ok.result).toBe("93.184.216.34");
    const all = await lookup(policy, [{ address: "2606:4700:4700::1111", family: 6 }], "push.example.com", true);
    expect(all.result).toEqual([{ address: "2606:4700:4700::1111", family: 6 }]);
    const allowed = await lookup(policy, [{ address: "10.0.0.5", family: 4 }], "push.internal", false);
    expect(allowed.err).toBeNull();
  });
});

describe("subscription validation", () => {
  const policy = new HostPolicy([]);
  const good = makeSubscriber("https://push.example.com/wpush/v2/abc").subscription;
  const publicResolver = async () => ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"];

  it("accepts a browser-made subscription on a public host", async () => {
    await expect(validateSubscription(good, policy, publicResolver)).resolves.toBeUndefined();
  });

  it("refuses hosts that resolve inside, fail to resolve, or take too long", async () => {
    await expect(validateSubscription(good, policy, async () => ["93.184.216.34", "192.168.0.10"])).rejects.toThrow(/resolves to a private/);
    await expect(validateSubscription(good, policy, async () => [])).rejects.toThrow(/could not be resolved/);
    await expect(validateSubscription(good, policy, async () => Promise.reject(new Error("ENOTFOUND")))).rejects.toThrow(/could not be resolved/);
    await expect(validateSubscription(good, policy, () => new Promise(() => {}), 20)).rejects.toThrow(/could not be resolved/);
    // Allowed hosts are not looked up at all.
    await expect(
      validateSubscription({ ...good, endpoint: "https://push.test/x" }, new HostPolicy(["push.test"]), () => Promise.reject(new Error("no"))),
    ).resolves.toBeUndefined();
  });

  it("checks key sizes and encodings", () => {
    expect(() => checkKeys(good.keys)).not.toThrow();
    expect(() => checkKeys({ ...good.keys, p256dh: `${good.keys.p256dh}=` })).not.toThrow();
    const compressed = createECDH("prime256v1");
    compressed.generateKeys();
    const cases: [{ p256dh: string; auth: string }, RegExp][] = [
      [{ ...good.keys, p256dh: compressed.getPublicKey("base64url", "compressed") }, /65-byte uncompressed P-256 point \(got 33 bytes\)/],
      [{ ...good.keys, p256dh: ECDH.convertKey(compressed.getPublicKey(), "prime256v1", undefined, "base64url", "hybrid") as string }, /65-byte uncompressed/],
      [{ ...good.keys, p256dh: Buffer.alloc(66, 4).toString("base64url") }, /got 66 bytes/],
      [{ ...good.keys, p256dh: good.keys.p256dh.replace(/-/g, "+") + "+" }, /base64url/],
      [{ ...good.keys, auth: Buffer.alloc(17).toString("base64url") }, /must be 16 bytes \(got 17\)/],
      [{ ...good.keys, auth: "" }, /base64url/],
    ];
    for (const [keys, message] of cases) expect(() => checkKeys(keys), JSON.stringify(keys)).toThrow(message);
  });

  it("decodes strict base64url only", () => {
    expect(decodeBase64Url("AQID")).toEqual(Buffer.from([1, 2, 3]));
    expect(decodeBase64Url("AQI=")).toEqual(Buffer.from([1, 2]));
    expect(decodeBase64Url("AQ/D")).toBeNull();
    expect(decodeBase64Url("A Q")).toBeNull();
  });
});
