import {
  CourierError,
  DISPLAY_NAME_MAX,
  PASSWORD_DISTINCT_MIN,
  PASSWORD_MAX,
  PASSWORD_MIN,
  passwordProblem as passwordRule,
  SITE_NAME,
  textProblem,
} from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { en } from "../../i18n/locales/en/index.js";
import { language, t } from "../../i18n/index.js";

export type Field = "username" | "displayName" | "password";
export type FieldErrors = Partial<Record<Field, string>>;

/** What the server requires (shared/protocol/auth.ts); checked here first, in plain words. */
const USERNAME_MIN = 3;
const USERNAME_MAX = 32;

/** Shown under the password field on sign-up. */
export function passwordHint(): string {
  return t("auth.passwordHint", { min: PASSWORD_MIN });
}

export function signInEmpty(): string {
  return t("auth.check.signInEmpty");
}

/**
 * A sentence of the shared rules (shared/protocol: the password rule, the
 * text rule for names, the username pattern), which are written in English
 * for server and client alike, in the app's language: matched against the
 * English catalog's words for them. `prefix` goes in front of a text rule's
 * predicate ("Display name " + "is required."). Null for a sentence the
 * catalog does not know (a newer server's).
 */
export function ruleText(sentence: string, prefix = ""): string | null {
  const full = prefix + sentence;
  const code = /U\+[0-9A-F]{4,6}/.exec(full)?.[0] ?? "";
  const values = { min: PASSWORD_MIN, max: PASSWORD_MAX, distinct: PASSWORD_DISTINCT_MIN, site: SITE_NAME, code };
  for (const group of ["password", "username", "displayName"] as const) {
    for (const key of Object.keys(en.auth.rules[group])) {
      const path = `auth.rules.${group}.${key}` as "auth.rules.password.unicode";
      if (t(path, { ...values, lng: "en" }) === full) return t(path, values);
    }
  }
  return null;
}

/** A rule's sentence in the app's language, or as it came when it is not one the catalog knows. */
const rule = (sentence: string, prefix = ""): string => ruleText(sentence, prefix) ?? prefix + sentence;

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
  return { fields, form: Object.keys(fields).length > 0 ? signInEmpty() : null };
}

export function usernameProblem(text: string): string | null {
  const name = normaliseUsername(text);
  if (!name) return t("auth.check.chooseUsername");
  if (/[^a-z0-9_]/.test(name)) return t("auth.check.usernameCharacters");
  if (name.length < USERNAME_MIN) return t("auth.check.usernameTooShort", { min: USERNAME_MIN });
  if (name.length > USERNAME_MAX) return t("auth.check.usernameTooLong", { max: USERNAME_MAX });
  return null;
}

/**
 * The server's own rule (length, no control or only invisible characters,
 * not holding the username or the site's name, not mostly a pattern);
 * whether it is too common only the server can say.
 */
export function passwordProblem(password: string, username = ""): string | null {
  if (!password) return t("auth.check.choosePassword");
  const problem = passwordRule(password, normaliseUsername(username) || undefined);
  return problem === null ? null : rule(problem);
}

export function checkSignUp(username: string, password: string, displayName: string): FieldErrors {
  const fields: FieldErrors = {};
  const u = usernameProblem(username);
  if (u) fields.username = u;
  const name = displayName.trim();
  // Left empty, the username stands in; anything typed follows the text rule for names.
  const nameProblem = name ? textProblem(name, "name") : null;
  if (name.length > DISPLAY_NAME_MAX) fields.displayName = t("auth.check.displayNameTooLong", { max: DISPLAY_NAME_MAX });
  else if (nameProblem) fields.displayName = rule(nameProblem, "Display name ");
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
      return { fields: {}, form: t("auth.server.wrongPassword") };
    }
    if (mode === "sign-up" && error.code === "conflict") return { fields: { username: t("auth.server.usernameTaken") }, form: null };
    // A reason has words of its own in every language (web/api/errors.ts).
    if (mode === "sign-up" && error.reason === "common_password") return { fields: { password: describeError(error) }, form: null };
    if (mode === "sign-up" && error.code === "bad_request") {
      // Newer servers answer in sentences; older ones in zod's words, replaced here.
      const text = error.message.toLowerCase();
      // Its sentence in the app's language when the catalog knows it; an unknown one is English, kept for English readers only.
      const own = (fallback: string) =>
        /^[A-Z].*\.$/.test(error.message) && !/expected|>=|<=/.test(error.message)
          ? (ruleText(error.message) ?? (language() === "en" ? error.message : fallback))
          : fallback;
      // Password first: "A password can't be the same as the username." is about the password.
      if (text.includes("password")) return { fields: { password: own(t("auth.server.passwordLength", { min: PASSWORD_MIN, max: PASSWORD_MAX })) }, form: null };
      if (text.includes("username")) return { fields: { username: own(t("auth.server.usernameFormat")) }, form: null };
      if (text.includes("display")) return { fields: { displayName: own(t("auth.server.displayNameLength", { max: DISPLAY_NAME_MAX })) }, form: null };
    }
    if (error.code === "bad_request" && !/^[A-Z].*\.$/.test(error.message)) return { fields: {}, form: t("auth.server.checkInput") };
  }
  return { fields: {}, form: describeError(error) };
}

export const FIELD_ORDER: readonly Field[] = ["username", "displayName", "password"];

export function firstInvalid(fields: FieldErrors): Field | null {
  return FIELD_ORDER.find((f) => fields[f] !== undefined) ?? null;
}
