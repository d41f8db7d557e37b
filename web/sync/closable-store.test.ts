import { describe, expect, it, vi } from "vitest";
import type { SyncStore } from "../../shared/sync/types.js";
import { zeroVersions, type Snapshot } from "../../shared/protocol/index.js";
import { ClosableStore, StoreClosedError } from "./closable-store.js";

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const emptySnapshot: Snapshot = { heads: zeroVersions(), conversations: [], messages: {} };

function fakeStore(): SyncStore & { apply: ReturnType<typeof vi.fn>; applySnapshot: ReturnType<typeof vi.fn> } {
  return {
    loadVersions: vi.fn(async () => zeroVersions()),
    apply: vi.fn(async () => {}),
    applySnapshot: vi.fn(async () => {}),
  };
}

describe("ClosableStore", () => {
  it("close() resolves only after the apply in progress has finished", async () => {
    const inner = fakeStore();
    const commit = deferred();
    inner.apply.mockImplementation(() => commit.promise);
    const store = new ClosableStore(inner);

    const applying = store.apply("chat", [], 1);
    let closed = false;
    const closing = store.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(false);

    commit.resolve();
    await closing;
    await expect(applying).resolves.toBeUndefined();
    expect(closed).toBe(true);
  });

  it("refuses to start an apply or a snapshot once closed", async () => {
    const inner = fakeStore();
    const store = new ClosableStore(inner);
    await store.close();

    await expect(store.apply("chat", [], 1)).rejects.toBeInstanceOf(StoreClosedError);
    await expect(store.applySnapshot(emptySnapshot)).rejects.toBeInstanceOf(StoreClosedError);
    expect(inner.apply).not.toHaveBeenCalled();
    expect(inner.applySnapshot).not.toHaveBeenCalled();
  });

  it("close() also waits for a write that fails", async () => {
    const inner = fakeStore();
    let fail!: (error: Error) => void;
    inner.applySnapshot.mockImplementation(() => new Promise<void>((_, reject) => (fail = reject)));
    const store = new ClosableStore(inner);
    const applying = store.applySnapshot(emptySnapshot).catch((e: unknown) => e);
    const closing = store.close();
    fail(new Error("quota"));
    await closing;
    expect(await applying).toEqual(new Error("quota"));
  });
});
