import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { deviceIdFor, rotateDeviceId } from "./device-db.js";

describe("device ids", () => {
  it("give the profile's id to its first user and a separate, stable id to anyone else", async () => {
    const first = await deviceIdFor("alice");
    expect(await deviceIdFor("alice")).toBe(first);
    const second = await deviceIdFor("bob");
    expect(second).not.toBe(first);
    expect(await deviceIdFor("bob")).toBe(second);
    expect(await deviceIdFor("alice")).toBe(first);
  });

  it("rotate on a conflict and keep the new id", async () => {
    const before = await deviceIdFor("carol");
    const after = await rotateDeviceId("carol");
    expect(after).not.toBe(before);
    expect(await deviceIdFor("carol")).toBe(after);
  });
});
