import { createDecipheriv, createECDH, createHmac, createPublicKey, type ECDH, randomBytes, verify } from "node:crypto";

/**
 * The browser's side of Web Push, written from the RFCs with node:crypto
 * only, so tests check the server's requests without trusting the library
 * that made them: a subscriber key pair and auth secret, RFC 8291 aes128gcm
 * decryption, and RFC 8292 VAPID JWT verification.
 */

export interface Subscriber {
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  /** Decrypts an aes128gcm body sent to this subscription; throws if it does not authenticate. */
  decrypt(body: Buffer): string;
}

/** A fresh P-256 key pair and 16-byte auth secret, as `PushManager.subscribe()` makes. */
export function makeSubscriber(endpoint: string): Subscriber {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    subscription: {
      endpoint,
      keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") },
    },
    decrypt: (body) => decryptAes128gcm(body, ecdh, auth),
  };
}

const hmac = (key: Buffer, data: Buffer) => createHmac("sha256", key).update(data).digest();

/** HKDF (RFC 5869) with a single output block, enough for ≤ 32 bytes. */
function hkdf(salt: Buffer, ikm: Buffer, info: Buffer, length: number): Buffer {
  const prk = hmac(salt, ikm);
  return hmac(prk, Buffer.concat([info, Buffer.from([1])])).subarray(0, length);
}

/**
 * RFC 8291 §3.4 + RFC 8188: header `salt(16) | rs(4) | idlen(1) | keyid`
 * (keyid = the sender's ephemeral public key), then records of `rs` bytes,
 * each AES-128-GCM with the nonce XOR its sequence number; a record's
 * plaintext ends with a delimiter (2 for the last, 1 otherwise) and zero padding.
 */
export function decryptAes128gcm(body: Buffer, ua: ECDH, authSecret: Buffer): string {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  if (idlen !== 65 || asPublic[0] !== 0x04) throw new Error("keyid is not an uncompressed P-256 point");
  if (rs < 18) throw new Error("record size too small");
  const ecdhSecret = ua.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), ua.getPublicKey(), asPublic]);
  const ikm = hkdf(authSecret, ecdhSecret, keyInfo, 32);
  const cek = hkdf(salt, ikm, Buffer.from("Content-Encoding: aes128gcm\0"), 16);
  const baseNonce = hkdf(salt, ikm, Buffer.from("Content-Encoding: nonce\0"), 12);

  const records = body.subarray(21 + idlen);
  const plain: Buffer[] = [];
  for (let seq = 0, offset = 0; offset < records.length; seq++, offset += rs) {
    const record = records.subarray(offset, offset + rs);
    const nonce = Buffer.from(baseNonce);
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8);
    const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    const last = offset + rs >= records.length;
    if (end < 0 || padded[end] !== (last ? 2 : 1)) throw new Error("bad padding delimiter");
    plain.push(padded.subarray(0, end));
  }
  return Buffer.concat(plain).toString("utf8");
}

export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
}

/**
 * RFC 8292: `Authorization: vapid t=<JWT>, k=<public key>`. Checks the
 * ES256 signature against `publicKey` (base64url P-256 point) and that `k`
 * is that key; returns the claims for the caller to check.
 */
export function verifyVapid(authorization: string | undefined, publicKey: string): VapidClaims {
  const m = /^vapid t=([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(authorization ?? "");
  if (!m) throw new Error("Authorization is not `vapid t=…, k=…`");
  const [, h, p, s, k] = m;
  if (k !== publicKey) throw new Error("k is not the server's VAPID public key");
  const header = JSON.parse(Buffer.from(h!, "base64url").toString()) as { alg?: string; typ?: string };
  if (header.alg !== "ES256") throw new Error(`alg is ${header.alg}`);
  const point = Buffer.from(publicKey, "base64url");
  const key = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33, 65).toString("base64url") },
    format: "jwk",
  });
  const ok = verify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(s!, "base64url"));
  if (!ok) throw new Error("VAPID JWT signature does not verify");
  return JSON.parse(Buffer.from(p!, "base64url").toString()) as VapidClaims;
}
