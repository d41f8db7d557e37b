import { z } from "zod";
import { idSchema } from "./common.js";

export const userSchema = z.object({
  id: idSchema,
  username: z.string(),
  displayName: z.string(),
});
export type User = z.infer<typeof userSchema>;

export const usernameSchema = z
  .string()
  .regex(/^[a-z0-9_]{3,32}$/, "Usernames are 3–32 characters: lowercase letters a–z, digits and _.");
export const passwordSchema = z
  .string()
  .min(8, "Passwords need at least 8 characters.")
  .max(200, "Passwords can be at most 200 characters.")
  .refine((p) => p.trim().length > 0, "A password can't be only spaces.");

export const registerRequestSchema = z.strictObject({
  username: usernameSchema,
  password: passwordSchema,
  displayName: z.string().trim().min(1).max(64).optional(),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export const loginRequestSchema = z.strictObject({
  username: z.string().min(1).max(32),
  password: z.string().min(1).max(200),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const authResponseSchema = z.object({ user: userSchema, token: z.string() });
export type AuthResponse = z.infer<typeof authResponseSchema>;

export const usersQuerySchema = z.object({ q: z.string().max(64).optional() });

export const SESSION_COOKIE = "courier_session";
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
