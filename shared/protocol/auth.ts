import { z } from "zod";
import { blankness, codePointLength, controlCharacter, humanText, idSchema, isWellFormedText } from "./common.js";
import { comparableCharacters, containsEitherWay, distinctCount, repeatedCount, runCount } from "./password-patterns.js";
import { lazy } from "./lazy.js";

export const userSchema = lazy(() => z.object({
  id: idSchema,
  username: z.string(),
  displayName: z.string(),
}));
export type User = z.infer<typeof userSchema>;

export const usernameSchema = z
  .string()
  .regex(/^[a-z0-9_]{3,32}$/, "Usernames are 3–32 characters: lowercase letters a–z, digits and _.");

/** Characters (code points) a new password needs once spaces at either end are left out, and may have at most. */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;
export const DISPLAY_NAME_MAX = 64;

/** Different characters a new password needs at least ("aaaaaaaaaa" has one). */
export const PASSWORD_DISTINCT_MIN = 5;
/** The name of the site, which a password may not contain. */
export const SITE_NAME = "Courier";

/**
 * The password rule for new accounts, in the words a person reads; shared by
 * the server and the sign-up form. The password is stored (hashed) as typed.
 * Beyond length and visible text, it refuses what a guesser tries first: the
 * username or the site's name inside it (either way round), too few different
 * characters, and passwords that are mostly a piece repeated or a run along
 * the alphabet or a keyboard row (password-patterns.ts). The server also
 * refuses commonly used passwords (server/auth/passwords-common.ts): that
 * list stays off the client. Signing in checks none of this, so accounts
 * made under an older rule keep working.
 */
export function passwordProblem(password: string, username?: string): string | null {
  if (!isWellFormedText(password)) return "A password must be valid Unicode text.";
  if (controlCharacter(password)) return "A password can't contain control characters.";
  const blank = blankness(password);
  if (blank === "invisible") return "A password can't be only spaces or invisible characters.";
  if (blank === "marks") return "A password can't be only accents or other combining marks.";
  if (codePointLength(password.trim()) < PASSWORD_MIN) return `Passwords need at least ${PASSWORD_MIN} characters (spaces at either end don't count).`;
  if (codePointLength(password) > PASSWORD_MAX) return `Passwords can be at most ${PASSWORD_MAX} characters.`;
  const chars = comparableCharacters(password);
  if (username !== undefined && chars.join("") === comparableCharacters(username).join("")) return "A password can't be the same as the username.";
  if (username !== undefined && containsEitherWay(chars, username)) return "A password can't contain the username, forwards or backwards.";
  if (containsEitherWay(chars, SITE_NAME)) return `A password can't contain the site's name, ${SITE_NAME}.`;
  if (distinctCount(chars) < PASSWORD_DISTINCT_MIN) return `A password needs at least ${PASSWORD_DISTINCT_MIN} different characters.`;
  if (2 * repeatedCount(chars) >= chars.length) return "A password can't be mostly a piece repeated (like abcabc or 1212).";
  if (2 * runCount(chars) >= chars.length) return "A password can't be mostly letters, digits or keys in a row (like 12345, abcde or qwerty).";
  return null;
}

export const passwordSchema = lazy(() => z.string().superRefine((password, ctx) => {
  const found = passwordProblem(password);
  if (found) ctx.addIssue({ code: "custom", message: found, input: password });
}));

export const registerRequestSchema = lazy(() => z
  .strictObject({
    username: usernameSchema,
    password: passwordSchema,
    displayName: humanText(DISPLAY_NAME_MAX, { trim: true, name: true }).optional(),
  })
  // Runs once every field is valid: what is left to say is "not the username".
  .superRefine((r, ctx) => {
    const found = passwordProblem(r.password, r.username);
    if (found) ctx.addIssue({ code: "custom", path: ["password"], message: found, input: r.password });
  }));
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const loginRequestSchema = lazy(() => z.strictObject({
  username: z.string().min(1).max(32),
  // UTF-16 units: a password of PASSWORD_MAX characters outside the BMP is twice as long.
  password: z.string().min(1).max(2 * PASSWORD_MAX),
}));
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const authResponseSchema = lazy(() => z.object({ user: userSchema, token: z.string() }));
export type AuthResponse = z.infer<typeof authResponseSchema>;

export const usersQuerySchema = lazy(() => z.object({ q: z.string().max(64).optional() }));

export const SESSION_COOKIE = "courier_session";
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** extension (account settings, issue 17): `PATCH /api/me` — the display name, under sign-up's rule. */
export const updateMeSchema = lazy(() => z.strictObject({
  displayName: humanText(DISPLAY_NAME_MAX, { trim: true, name: true }),
}));
export type UpdateMe = z.infer<typeof updateMeSchema>;

/**
 * extension (account settings, issue 17): `POST /api/me/password`. The
 * current password is only compared (as sign-in does); the new one meets
 * sign-up's rule, checked against the username by the server.
 */
export const changePasswordSchema = lazy(() => z.strictObject({
  currentPassword: loginRequestSchema.shape.password,
  newPassword: passwordSchema,
}));
export type ChangePassword = z.infer<typeof changePasswordSchema>;
