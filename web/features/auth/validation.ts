import { CourierError, DISPLAY_NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, passwordProblem as passwordRule, textProblem } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";

export type Field = "username" | "displayName" | "password";
export type FieldErrors = Partial<Record<Field, string>>;

/** What the server requires (shared/protocol/auth.ts); checked here first, in plain words. */
const USERNAME_MIN = 3;
const USERNAME_MAX = 32;

/** Shown under the password field on sign-up. */
export const PASSWORD_HINT = `At least ${PASSWORD_MIN} characters, not your username, not a pattern like 12345 or abcabc, and not a commonly used password`;

export const SIGN_IN_EMPTY = "Enter your username and password.";

/** The username as it is sent: the server keeps usernames lower-case. */
export function normaliseUsername(text: string): string {
  return text.trim().toLowerCase();
}

/** Sign-in only needs both filled in; an empty field is marked, the sentence says which. */
export function checkSignIn(username: string, password: string): { fields: FieldErrors; form: string | null } {
  const fields: FieldErrors = {};
  // "" marks the field invalid without a text of its own.
  if (!normaliseUsername(username)) fields.username = "";
  if (!password) fields.password = "";
  return { fields, form: Object.keys(fields).length > 0 ? SIGN_IN_EMPTY : null };
}

export function usernameProblem(text: string): string | null {
  const name = normaliseUsername(text);
  if (!name) return "Choose a username.";
  if (/[^a-z0-9_]/.test(name)) return "Usernames can only use letters a–z, digits 0–9 and _ (no spaces or symbols).";
  if (name.length < USERNAME_MIN) return `Usernames need at least ${USERNAME_MIN} characters.`;
  if (name.length > USERNAME_MAX) return `Usernames can be at most ${USERNAME_MAX} characters.`;
  return null;
}

/**
 * The server's own rule (length, no control or only invisible characters,
 * not holding the username or the site's name, not mostly a pattern);
 * whether it is too common only the server can say.
 */
export function passwordProblem(password: string, username = ""): string | null {
  if (!password) return "Choose a password.";
  return passwordRule(password, normaliseUsername(username) || undefined);
}

export function checkSignUp(username: string, password: string, displayName: string): FieldErrors {
  const fields: FieldErrors = {};
  const u = usernameProblem(username);
  if (u) fields.username = u;
  const name = displayName.trim();
  // Left empty, the username stands in; anything typed follows the text rule for names.
  const nameProblem = name ? textProblem(name, "name") : null;
  if (name.length > DISPLAY_NAME_MAX) fields.displayName = `Display names can be at most ${DISPLAY_NAME_MAX} characters.`;
  else if (nameProblem) fields.displayName = `Display name ${nameProblem}`;
  const p = passwordProblem(password, username);
  if (p) fields.password = p;
  return fields;
}

/**
 * A failed request, in words for the person, placed next to the field it is
 * about when it is about one. Server texts the client could not check first
 * (a taken name, rate limits, being offline) come through as they are.
 */
export function explainAuthError(error: unknown, mode: "sign-in" | "sign-up"): { fields: FieldErrors; form: string | null } {
  if (error instanceof CourierError) {
    if (mode === "sign-in" && (error.code === "unauthorized" || error.code === "bad_request")) {
      // A name too long to exist and a wrong password are the same to the person.
      return { fields: {}, form: "Wrong username or password." };
    }
    if (mode === "sign-up" && error.code === "conflict") return { fields: { username: "That username is taken. Try another one." }, form: null };
    if (mode === "sign-up" && error.code === "bad_request") {
      // Newer servers answer in sentences; older ones in zod's words, replaced here.
      const text = error.message.toLowerCase();
      const own = (fallback: string) => (/^[A-Z].*\.$/.test(error.message) && !/expected|>=|<=/.test(error.message) ? error.message : fallback);
      // Password first: "A password can't be the same as the username." is about the password.
      if (text.includes("password")) return { fields: { password: own(`Passwords need ${PASSWORD_MIN}–${PASSWORD_MAX} characters.`) }, form: null };
      if (text.includes("username")) return { fields: { username: own("Usernames can only use letters a–z, digits 0–9 and _, 3–32 of them.") }, form: null };
      if (text.includes("display")) return { fields: { displayName: own(`Display names can be 1–${DISPLAY_NAME_MAX} characters.`) }, form: null };
    }
    if (error.code === "bad_request" && !/^[A-Z].*\.$/.test(error.message)) return { fields: {}, form: "Check what you typed and try again." };
  }
  return { fields: {}, form: describeError(error) };
}

export const FIELD_ORDER: readonly Field[] = ["username", "displayName", "password"];

export function firstInvalid(fields: FieldErrors): Field | null {
  return FIELD_ORDER.find((f) => fields[f] !== undefined) ?? null;
}
