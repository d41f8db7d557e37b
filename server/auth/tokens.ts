import { createHash, randomBytes } from "node:crypto";

/**
 * Opaque session tokens. Only the sha256 of a token is stored, so a leaked
 * database does not hand out live sessions; 32 random bytes make guessing
 * pointless, which is why a fast hash is enough here.
 */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
