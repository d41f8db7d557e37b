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

/*
 * Human text (message bodies, titles, names, remarks, labels): one rule,
 * checked wherever such text comes in, so that what is accepted can be
 * stored, synced and shown byte-identical on every engine and screen.
 *
 * - Valid Unicode. A lone surrogate survives JSON ("\ud800") but not UTF-8:
 *   a message row would hold U+FFFD while its sync entry kept the escape, so
 *   history and sync would disagree. `\p{Cs}` with the u flag matches only
 *   unpaired halves; it is used instead of String.prototype.isWellFormed,
 *   which Firefox ESR 115 lacks. (Invalid UTF-8 never gets this far: an HTTP
 *   body is refused before parsing, a WebSocket text frame fails its socket.)
 * - No control characters but newline and tab (NUL, escape sequences, CR…).
 * - Something visible: a text left empty once whitespace and default-ignorable
 *   code points (zero-width spaces and joiners, word joiner, BOM, variation
 *   selectors, soft hyphen, Hangul fillers, tags…) are removed is refused.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /(?![\t\n])\p{Cc}/u;
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}]/gu;

/** True when the text holds no lone surrogate (what UTF-8 can carry). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** The first control character other than newline and tab, as `U+0000`, or null. */
export function controlCharacter(text: string): string | null {
  const found = CONTROL.exec(text);
  return found ? `U+${found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}` : null;
}

/** True when something is left once whitespace and invisible (default-ignorable) characters are removed. */
export function hasVisibleText(text: string): boolean {
  return text.replace(INVISIBLE, "") !== "";
}

/** Characters as a person counts them: code points, so an emoji outside the BMP is one. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * What is wrong with a human text, as a predicate the field's name goes in
 * front of ("Body is empty: …"); null when it may be stored.
 */
export function textProblem(text: string): string | null {
  if (text === "") return "is required.";
  if (!isWellFormedText(text)) return "is not valid Unicode (it has a lone surrogate or invalid UTF-8).";
  const control = controlCharacter(text);
  if (control) return `contains a control character (${control}); only newline and tab are allowed.`;
  if (!hasVisibleText(text)) return "is empty: it has only spaces or invisible characters.";
  return null;
}

/** The rule as a zod refinement, for a string schema of its own: `.superRefine(textRule)`. */
export function textRule(text: string, ctx: z.core.$RefinementCtx<string>): void {
  const problem = textProblem(text);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: text });
}

/**
 * A human text field of at most `max` UTF-16 units (JavaScript's `length`)
 * under the rule above. `trim`: stored without surrounding whitespace (names
 * and titles). `clearable`: "" is accepted too, meaning none (a remark).
 */
export function humanText(max: number, opts: { trim?: boolean; clearable?: boolean } = {}) {
  return (opts.trim ? z.string().trim() : z.string()).max(max).superRefine((text, ctx) => {
    if (!(opts.clearable && text === "")) textRule(text, ctx);
  });
}
