import { z } from "zod";
import { CourierError } from "./errors.js";

/**
 * Parse input against a schema at a boundary (HTTP body, query, socket event,
 * stored data). Bad input becomes a `bad_request` whose message a person can
 * read ("Title is required.", "Price must be at most 10000000000."), never an
 * exception of another kind.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = "input"): z.output<S> {
  // reportInput: the bad value rides on the issue, so "wrong type" and "missing" read differently.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw CourierError.badRequest(issue ? describeIssue(issue, what) : `Invalid ${what}.`);
}

/**
 * Messages we wrote ourselves are whole sentences, or a predicate ("must be a
 * whole number.") that gets the field's name in front; zod's defaults are
 * rephrased.
 */
export function describeIssue(issue: z.core.$ZodIssue, what: string): string {
  const field = fieldName(issue.path, what);
  if (issue.message.endsWith(".")) return /^[a-z]/.test(issue.message) ? `${field} ${issue.message}` : issue.message;
  switch (issue.code) {
    case "invalid_type":
      return wrongType(issue, field, what);
    case "too_small":
      if (issue.origin === "string") return Number(issue.minimum) <= 1 ? `${field} is required.` : `${field} must be at least ${issue.minimum} characters.`;
      if (issue.origin === "array") return `${field} needs at least ${issue.minimum} item(s).`;
      return `${field} must be at least ${issue.minimum}.`;
    case "too_big":
      if (issue.origin === "string") return `${field} can be at most ${issue.maximum} characters.`;
      if (issue.origin === "array") return `${field} can have at most ${issue.maximum} item(s).`;
      return `${field} must be at most ${issue.maximum}.`;
    case "unrecognized_keys":
      return `Unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}.`;
    case "invalid_value":
      return notAnOption(field, issue.input, issue.values);
    case "invalid_union": {
      // A discriminated union whose tag matches no option (zod adds `note` and `options`): the issue holds the whole object.
      const tagged = issue as typeof issue & { note?: string; options?: unknown[] };
      if (tagged.note === "No matching discriminator" && tagged.discriminator !== undefined && Array.isArray(tagged.options)) {
        return notAnOption(field, tagOf(issue.input, tagged.discriminator), tagged.options);
      }
      return `${field} is invalid: ${issue.message}.`;
    }
    case "invalid_format":
      return `${field} is not a valid ${issue.format === "regex" ? "value" : issue.format}.`;
    default:
      return `${field} is invalid: ${issue.message}.`;
  }
}

/** What a value of each type is, as a person names it ("must be true or false."). */
const TYPE_WORDS: Record<string, string> = {
  boolean: "true or false",
  string: "text",
  number: "a number",
  int: "a whole number",
  bigint: "a whole number",
  array: "a list",
  object: "an object",
  record: "an object",
};

function wrongType(issue: z.core.$ZodIssueInvalidType, field: string, what: string): string {
  const { input, expected, path } = issue;
  if (input === undefined) return `${field} is required.`;
  if (path.length === 0 && what === "body" && (expected === "object" || expected === "record")) return "The request body must be a JSON object.";
  // A query parameter repeated (?q=a&q=b) arrives as an array; name it as typed.
  if (what === "query" && Array.isArray(input) && expected !== "array") return `${String(path.at(-1) ?? what)} must be given once.`;
  return `${field} must be ${TYPE_WORDS[expected] ?? article(expected)}.`;
}

function notAnOption(field: string, input: unknown, options: readonly unknown[]): string {
  const list = options.map(String).join(", ");
  if (input === undefined) return `${field} is required; one of: ${list}.`;
  if (typeof input !== "string" || input.length > 40) return `${field} must be one of: ${list}.`;
  return `Unknown ${field.toLowerCase()} "${input}"; one of: ${list}.`;
}

function tagOf(input: unknown, key: PropertyKey): unknown {
  return input !== null && typeof input === "object" ? (input as Record<PropertyKey, unknown>)[key] : undefined;
}

function fieldName(path: readonly PropertyKey[], what: string): string {
  const last = [...path].reverse().find((p) => typeof p === "string");
  const raw = typeof last === "string" ? last : what;
  const words = raw.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
