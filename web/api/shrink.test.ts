import { describe, expect, it } from "vitest";
import { SHRINK_ABOVE_BYTES, shrinkForUpload, shrinkTarget } from "./shrink.js";

describe("shrinkTarget", () => {
  it("draws a large camera JPEG at most 2560 px on its longer side, keeping its shape", () => {
    expect(shrinkTarget("image/jpeg", 6_000_000, 4032, 3024)).toEqual({ width: 2560, height: 1920 });
    expect(shrinkTarget("image/jpeg", 6_000_000, 3024, 4032)).toEqual({ width: 1920, height: 2560 });
    // Big in bytes but not in pixels: re-encoded at its own size.
    expect(shrinkTarget("image/jpeg", 3_000_000, 2000, 1500)).toEqual({ width: 2000, height: 1500 });
  });

  it("leaves small files, PNGs (transparency), GIFs (animation) and WebP as they are", () => {
    expect(shrinkTarget("image/jpeg", SHRINK_ABOVE_BYTES, 4032, 3024)).toBeNull();
    expect(shrinkTarget("image/png", 6_000_000, 4032, 3024)).toBeNull();
    expect(shrinkTarget("image/gif", 6_000_000, 4032, 3024)).toBeNull();
    expect(shrinkTarget("image/webp", 6_000_000, 4032, 3024)).toBeNull();
  });
});

describe("shrinkForUpload", () => {
  it("sends the original when it cannot be decoded here (no canvas in this test, or not a picture)", async () => {
    const blob = new Blob([new Uint8Array(SHRINK_ABOVE_BYTES + 1)], { type: "image/jpeg" });
    expect(await shrinkForUpload(blob)).toBe(blob);
  });
});
