import { z } from "zod";
import { codePointLength, controlCharacter, hasVisibleText, humanText, idSchema, isWellFormedText } from "./common.js";

export const userSchema = z.object({
  id: idSchema,
  username: z.string(),
  displayName: z.string(),
});
export type User = z.infer<typeof userSchema>;

export const usernameSchema = z
  .string()
  .regex(/^[a-z0-9_]{3,32}$/, "Usernames are 3–32 characters: lowercase letters a–z, digits and _.");

/** Characters (code points) a new password needs once spaces at either end are left out, and may have at most. */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;
export const DISPLAY_NAME_MAX = 64;

/**
 * The password rule for new accounts, in the words a person reads; shared by
 * the server and the sign-up form. The password is stored (hashed) as typed.
 * The server also refuses commonly used passwords (server/auth/passwords-common.ts):
 * that list stays off the client. Signing in checks none of this, so accounts
 * made under an older rule keep working.
 */
export function passwordProblem(password: string, username?: string): string | null {
  if (!isWellFormedText(password)) return "A password must be valid Unicode text.";
  if (controlCharacter(password)) return "A password can't contain control characters.";
  if (!hasVisibleText(password)) return "A password can't be only spaces or invisible characters.";
  if (codePointLength(password.trim()) < PASSWORD_MIN) return `Passwords need at least ${PASSWORD_MIN} characters (spaces at either end don't count).`;
  if (codePointLength(password) > PASSWORD_MAX) return `Passwords can be at most ${PASSWORD_MAX} characters.`;
  if (username !== undefined && password.trim().toLowerCase() === username.trim().toLowerCase()) return "A password can't be the same as the username.";
  return null;
}

export const passwordSchema = z.string().superRefine((password, ctx) => {
  const found = passwordProblem(password);
  if (found) ctx.addIssue({ code: "custom", message: found, input: password });
});

export const registerRequestSchema = z
  .strictObject({
    username: usernameSchema,
    password: passwordSchema,
    displayName: humanText(DISPLAY_NAME_MAX, { trim: true }).optional(),
  })
  // Runs once every field is valid: what is left to say is "not the username".
  .superRefine((r, ctx) => {
    const found = passwordProblem(r.password, r.username);
    if (found) ctx.addIssue({ code: "custom", path: ["password"], message: found, input: r.password });
  });
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const loginRequestSchema = z.strictObject({
  username: z.string().min(1).max(32),
  // UTF-16 units: a password of PASSWORD_MAX characters outside the BMP is twice as long.
  password: z.string().min(1).max(2 * PASSWORD_MAX),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const authResponseSchema = z.object({ user: userSchema, token: z.string() });
export type AuthResponse = z.infer<typeof authResponseSchema>;

export const usersQuerySchema = z.object({ q: z.string().max(64).optional() });

export const SESSION_COOKIE = "courier_session";
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
