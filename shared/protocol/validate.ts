import { z } from "zod";
import { CourierError } from "./errors.js";

/**
 * Parse input against a schema at a boundary (HTTP body, query, socket event,
 * stored data). Bad input becomes a `bad_request` with a message naming the
 * offending field, never an exception of another kind.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = "input"): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join(".") : what;
  throw CourierError.badRequest(`Invalid ${path}: ${issue?.message ?? "malformed"}`);
}
