import { describe, expect, it } from "vitest";
import { uuidSchema } from "../../shared/protocol/common.js";
import { uuid7 } from "./uuid7.js";

/** The Unix ms an id says it was made at: its first 48 bits. */
const timeOf = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe("uuid7", () => {
  it("is a UUID every schema of the protocol takes: version 7, RFC variant", () => {
    const id = uuid7(Date.UTC(2026, 11, 7, 18, 0, 0, 123));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidSchema.parse(id)).toBe(id);
  });

  it("starts with the millisecond it is made for", () => {
    for (const ms of [0, 1, 0xffff_ffff, 0x1_0000_0000, Date.UTC(2026, 11, 7, 18, 0, 0, 123), 0xffff_ffff_ffff]) {
      expect(timeOf(uuid7(ms))).toBe(ms);
    }
    const before = Date.now();
    const made = timeOf(uuid7());
    expect(made).toBeGreaterThanOrEqual(before);
    expect(made).toBeLessThanOrEqual(Date.now());
  });

  it("sorts by time: the ids of a later millisecond come after, as text and in an index", () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => uuid7(1_800_000_000_000 + Math.floor(i / 10)));
    const byText = [...ids].sort();
    expect(byText.map(timeOf)).toEqual(ids.map(timeOf));
  });

  it("is unique within one millisecond, across refills of its random pool", () => {
    const ids = Array.from({ length: 50_000 }, () => uuid7(1_800_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    // 74 random bits an id: each of them varies (none stuck at 0 or 1 by a slip of the masks).
    const bits = (id: string) => BigInt(`0x${id.replaceAll("-", "")}`);
    const randomMask = (1n << 62n) - 1n | (0xfffn << 64n);
    let ones = 0n;
    let zeros = 0n;
    for (const id of ids.slice(0, 1_000)) {
      ones |= bits(id) & randomMask;
      zeros |= ~bits(id) & randomMask;
    }
    expect(ones).toBe(randomMask);
    expect(zeros).toBe(randomMask);
  });

  it("keeps a time outside 48 bits inside them (never a malformed id)", () => {
    expect(timeOf(uuid7(-5))).toBe(0);
    expect(timeOf(uuid7(2 ** 60))).toBe(0xffff_ffff_ffff);
    expect(timeOf(uuid7(Number.NaN))).toBe(0);
    expect(timeOf(uuid7(Number.POSITIVE_INFINITY))).toBe(0xffff_ffff_ffff);
    expect(timeOf(uuid7(1_800_000_000_000.9))).toBe(1_800_000_000_000);
    for (const ms of [Number.NaN, -5, 2 ** 60]) expect(uuidSchema.parse(uuid7(ms))).toBeTruthy();
  });
});
