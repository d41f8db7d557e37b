import { z } from "zod";
import { CourierError } from "./errors.js";

/**
 * Parse input against a schema at a boundary (HTTP body, query, socket event,
 * stored data). Bad input becomes a `bad_request` whose message a person can
 * read ("Title is required.", "Price must be at most 10000000000."), never an
 * exception of another kind.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = "input"): z.output<S> {
  const result = schema.safeParse(input);
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
      return issue.input === undefined ? `${field} is required.` : `${field} must be ${article(issue.expected)}.`;
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
      return `${field} must be one of: ${issue.values.map(String).join(", ")}.`;
    case "invalid_format":
      return `${field} is not a valid ${issue.format === "regex" ? "value" : issue.format}.`;
    default:
      return `${field} is invalid: ${issue.message}.`;
  }
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
