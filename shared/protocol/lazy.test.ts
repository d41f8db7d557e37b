import { describe, expect, it } from "vitest";
import { z } from "zod";
import { lazy } from "./lazy.js";
import { idSchema, sendRequestSchema } from "./index.js";

describe("lazy: a schema built on first use", () => {
  it("is not built until read, then once", () => {
    let builds = 0;
    const schema = lazy(() => {
      builds++;
      return z.object({ a: z.string() });
    });
    expect(builds).toBe(0);
    expect(schema.parse({ a: "x" })).toEqual({ a: "x" });
    expect(schema.safeParse({ a: 1 }).success).toBe(false);
    expect(Object.keys(schema.shape)).toEqual(["a"]);
    expect(builds).toBe(1);
  });

  it("behaves as the schema it stands for: nested, extended, optional, in unions, instanceof", () => {
    const inner = lazy(() => z.string().min(2));
    const outer = lazy(() => z.strictObject({ kind: z.literal("a"), name: inner }));
    const other = lazy(() => z.strictObject({ kind: z.literal("b") }));
    const union = lazy(() => z.discriminatedUnion("kind", [outer, other]));
    expect(union.parse({ kind: "a", name: "Ann" })).toEqual({ kind: "a", name: "Ann" });
    expect(union.safeParse({ kind: "a", name: "A" }).success).toBe(false);
    expect(union.safeParse({ kind: "c" }).success).toBe(false);
    expect(outer.extend({ extra: inner.optional() }).parse({ kind: "a", name: "Bo" })).toEqual({ kind: "a", name: "Bo" });
    expect(inner instanceof z.ZodString).toBe(true);
    expect(outer instanceof z.ZodObject).toBe(true);
    expect(() => inner.parse("x")).toThrow(z.ZodError);
  });

  it("leaves shared/protocol's schemas working as before", () => {
    expect(idSchema.parse("abc")).toBe("abc");
    expect(idSchema.safeParse("").success).toBe(false);
    expect(sendRequestSchema.safeParse({}).success).toBe(false);
  });
});
