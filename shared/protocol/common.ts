import { z } from "zod";

export const idSchema = z.string().min(1).max(64);
export const uuidSchema = z.uuid();

/** Sync domains, highest priority first. */
export const DOMAINS = ["chat", "system", "marketing"] as const;
export const domainSchema = z.enum(DOMAINS);
export type Domain = z.infer<typeof domainSchema>;

/** Lower number = consumed first. */
export const DOMAIN_PRIORITY: Record<Domain, number> = { chat: 0, system: 1, marketing: 2 };

export type Versions = Record<Domain, number>;
export const versionSchema = z.number().int().nonnegative();
export const versionsSchema = z.object({
  chat: versionSchema,
  system: versionSchema,
  marketing: versionSchema,
});

export function zeroVersions(): Versions {
  return { chat: 0, system: 0, marketing: 0 };
}

/** Query strings arrive as text: accept "12" as 12, reject "12abc". */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number.")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const MESSAGE_BODY_MAX = 4000;
export const FRAME_LIMIT_BYTES = 64 * 1024;
