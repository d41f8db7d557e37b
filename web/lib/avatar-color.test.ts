import { describe, expect, it } from "vitest";
import { AVATAR_PALETTE, avatarColor, avatarColorIndex } from "./avatar-color.js";

/** WCAG 2.x relative luminance and contrast ratio, computed here rather than trusted from a table. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Ids shaped like the server's (randomUUID), from a fixed seed: the same every run. */
function uuids(count: number): string[] {
  let seed = 42;
  const hex = (n: number) =>
    Array.from({ length: n }, () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16).toString(16).padStart(4, "0").slice(-1);
    }).join("");
  return Array.from({ length: count }, () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`);
}

describe("avatarColor", () => {
  it("is the same colour for the same id, every time", () => {
    const id = "3f2b8c1e-5d4a-4e7b-9c1d-2a6f8e0b7c35";
    expect(avatarColor(id)).toBe(avatarColor(id));
    expect(avatarColor(id)).toBe(avatarColor(`${id}`.slice(0)));
    expect(AVATAR_PALETTE).toContain(avatarColor(id));
  });

  it("spreads ids over the whole palette, none much more often than another", () => {
    const ids = uuids(5000);
    const counts = new Array<number>(AVATAR_PALETTE.length).fill(0);
    for (const id of ids) counts[avatarColorIndex(id)]! += 1;
    const fair = ids.length / AVATAR_PALETTE.length;
    for (const n of counts) expect(Math.abs(n - fair)).toBeLessThan(fair * 0.15);
    // Ids that differ in one character (sequential ones) do not share a colour.
    expect(new Set(["user-1", "user-2", "user-3", "user-4"].map(avatarColor)).size).toBe(4);
  });

  it("has ten distinct colours, each ≥ 4.5:1 against white initials (WCAG AA), in light and dark mode alike", () => {
    expect(new Set(AVATAR_PALETTE).size).toBe(10);
    for (const colour of AVATAR_PALETTE) expect(contrast(colour, "#ffffff")).toBeGreaterThanOrEqual(4.5);
  });
});
