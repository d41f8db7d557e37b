import { readFileSync } from "node:fs";
import { CourierError } from "../../shared/protocol/index.js";

/**
 * Commonly used passwords (common-passwords.txt: its source, licence and how
 * it was cut are in its header), read once on the first sign-up. Compared
 * without case, surrounding spaces or compatibility forms, so "Password123 "
 * and "ｐａｓｓｗｏｒｄ１２３" count as "password123".
 */
let common: Set<string> | null = null;

function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(new URL("./common-passwords.txt", import.meta.url), "utf8")
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map(comparable),
  );
  return common;
}

function comparable(password: string): string {
  return password.trim().normalize("NFKC").toLowerCase();
}

export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(comparable(password));
}

/** Sign-up only: the rest of the password rule is the register schema's (shared/protocol/auth.ts). */
export function refuseCommonPassword(password: string): void {
  if (isCommonPassword(password)) throw CourierError.badRequest("That password is too commonly used; choose another one (a few unrelated words make a good one).", "common_password");
}
