import { describe, expect, it } from "vitest";
import { summary } from "../db/test-fixtures.js";
import type { BootSnapshot } from "./read.js";
import { adoptBootRead, firstScreenOf, spendFirstScreen } from "./snapshot.js";

const read: BootSnapshot = { conversations: [summary("c-1")], outbox: [], blocks: { key: "blocks", userIds: ["u-blocked"] } };

describe("the first screen the app takes from the boot script", () => {
  it("is the signed-in user's once read, and never again once the list's own queries have answered", async () => {
    let done!: (value: BootSnapshot | null) => void;
    adoptBootRead({ userId: "u-me", snapshot: new Promise((resolve) => (done = resolve)) });
    expect(firstScreenOf("u-me")).toBeNull(); // still reading: the list waits for whichever answers first
    done(read);
    await Promise.resolve();
    expect(firstScreenOf("u-me")).toEqual({ conversations: [summary("c-1")], outbox: [], blocks: { key: "blocks", userIds: ["u-blocked"] } });
    expect(firstScreenOf("u-someone-else")).toBeNull(); // another account signed in here meanwhile
    spendFirstScreen();
    expect(firstScreenOf("u-me")).toBeNull(); // a list mounted later (another language) reads the database, never this older copy
  });

  it("is nothing when the boot script read nothing, failed, or did not run", async () => {
    adoptBootRead({ userId: "u-me", snapshot: Promise.resolve(null) });
    await Promise.resolve();
    expect(firstScreenOf("u-me")).toBeNull();
    adoptBootRead({ userId: "u-me", snapshot: Promise.reject(new Error("storage")) });
    await Promise.resolve();
    expect(firstScreenOf("u-me")).toBeNull();
    adoptBootRead(undefined);
    expect(firstScreenOf("u-me")).toBeNull();
  });

  it("is not taken when the list answered before the read did", async () => {
    let done!: (value: BootSnapshot | null) => void;
    adoptBootRead({ userId: "u-me", snapshot: new Promise((resolve) => (done = resolve)) });
    spendFirstScreen();
    done(read);
    await Promise.resolve();
    expect(firstScreenOf("u-me")).toBeNull();
  });
});
