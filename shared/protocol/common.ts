import { z } from "zod";
import { lazy } from "./lazy.js";

export const idSchema = lazy(() => z.string().min(1).max(64));
export const uuidSchema = lazy(() => z.uuid());

/** Sync domains, highest priority first. */
export const DOMAINS = ["chat", "system", "marketing"] as const;
export const domainSchema = lazy(() => z.enum(DOMAINS));
export type Domain = z.infer<typeof domainSchema>;

/** Lower number = consumed first. */
export const DOMAIN_PRIORITY: Record<Domain, number> = { chat: 0, system: 1, marketing: 2 };

export type Versions = Record<Domain, number>;
export const versionSchema = lazy(() => z.number().int().nonnegative());
export const versionsSchema = lazy(() => z.object({
  chat: versionSchema,
  system: versionSchema,
  marketing: versionSchema,
}));

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
 * - Something visible: a text left empty once whitespace, default-ignorable
 *   code points (zero-width spaces and joiners, word joiner, BOM, variation
 *   selectors, soft hyphen, the Hangul fillers U+115F, U+1160, U+3164 and
 *   U+FFA0, tags, bidi controls…) and two blank-looking characters (INVISIBLE)
 *   are removed is refused; so is one left with only combining marks (\p{M}),
 *   accents with no letter to sit on.
 * - Names and titles (kind "name": display names, group and item titles,
 *   remarks, labels) may not hold bidi embedding, override or isolate
 *   controls (U+202A–U+202E, U+2066–U+2069): "\u202Enimda" shows as "admin",
 *   and a name that reads as another's is a spoof. Message bodies keep them: people write
 *   right-to-left text and quote it inside left-to-right text.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const CONTROL = /(?![\t\n])\p{Cc}/u;
/**
 * Whitespace and default-ignorable code points, and two characters that are
 * neither yet common fonts draw as nothing: U+2800 BRAILLE PATTERN BLANK and
 * U+1D159 MUSICAL SYMBOL NULL NOTEHEAD.
 */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800\u{1D159}]/gu;
const MARK = /\p{M}/gu;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;

/** Where a text is shown: a message "body", or a "name" (a person's or a group's, a title, a remark, a label). */
export type TextKind = "body" | "name";

/** True when the text holds no lone surrogate (what UTF-8 can carry). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function codePointName(found: RegExpExecArray | null): string | null {
  return found ? `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` : null;
}

/** The first control character other than newline and tab, as `U+0000`, or null. */
export function controlCharacter(text: string): string | null {
  return codePointName(CONTROL.exec(text));
}

/**
 * Why a text shows nothing: "invisible" when only whitespace and invisible
 * characters are left out of it, "marks" when only combining marks with
 * nothing to sit on are left besides; null when something shows.
 */
export function blankness(text: string): "invisible" | "marks" | null {
  const left = text.replace(INVISIBLE, "");
  if (left === "") return "invisible";
  return left.replace(MARK, "") === "" ? "marks" : null;
}

/** True when something shows once whitespace, invisible characters and bare combining marks are left out. */
export function hasVisibleText(text: string): boolean {
  return blankness(text) === null;
}

/** Characters as a person counts them: code points, so an emoji outside the BMP is one. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * What is wrong with a human text of this kind, as a predicate the field's
 * name goes in front of ("Body is empty: …"); null when it may be stored.
 */
export function textProblem(text: string, kind: TextKind = "body"): string | null {
  if (text === "") return "is required.";
  if (!isWellFormedText(text)) return "is not valid Unicode (it has a lone surrogate or invalid UTF-8).";
  const control = controlCharacter(text);
  if (control) return `contains a control character (${control}); only newline and tab are allowed.`;
  const bidi = kind === "name" ? codePointName(BIDI_CONTROL.exec(text)) : null;
  if (bidi) return `contains a text-direction control (${bidi}), which can make it read as something else; names and titles can't have them.`;
  const blank = blankness(text);
  if (blank === "invisible") return "is empty: it has only spaces or invisible characters.";
  if (blank === "marks") return "is empty: it has only combining marks (accents with no letter to sit on).";
  return null;
}

function ruleFor(kind: TextKind) {
  return (text: string, ctx: z.core.$RefinementCtx<string>): void => {
    const problem = textProblem(text, kind);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: text });
  };
}

/** The rule as a zod refinement, for a string schema of its own: `.superRefine(textRule)`; `nameRule` for names and titles. */
export const textRule = ruleFor("body");
export const nameRule = ruleFor("name");

/**
 * A human text field of at most `max` UTF-16 units (JavaScript's `length`)
 * under the rule above. `trim`: stored without surrounding whitespace.
 * `clearable`: "" is accepted too, meaning none (a remark). `name`: a name or
 * title (no bidi controls).
 */
export function humanText(max: number, opts: { trim?: boolean; clearable?: boolean; name?: boolean } = {}) {
  const rule = opts.name ? nameRule : textRule;
  return (opts.trim ? z.string().trim() : z.string()).max(max).superRefine((text, ctx) => {
    if (!(opts.clearable && text === "")) rule(text, ctx);
  });
}
