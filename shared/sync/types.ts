import type { Domain, Versions } from "../protocol/common.js";
import type { Entry } from "../protocol/entries.js";
import type { PullRequest, PullResponse, Snapshot } from "../protocol/sync.js";

/** Injected time source, so tests and benchmarks control it. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

// shared/ is compiled without DOM or Node typings; both runtimes have these timers.
// NOTE: handles differ between Node (a Timeout object) and browsers (a number).
const timers = globalThis as unknown as {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

/** Looks the timers up on every call, so test fake timers installed later still apply. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => timers.setTimeout(fn, ms),
  clearTimeout: (handle) => timers.clearTimeout(handle),
};

/** Where the engine fetches what pushes did not bring (any transport, or HTTP). */
export interface SyncSource {
  pull(request: PullRequest): Promise<PullResponse>;
  snapshot(): Promise<Snapshot>;
  /** Fire-and-forget is fine: acks never move backwards and are re-sent. */
  ack(acks: Partial<Versions>): Promise<void>;
}

/**
 * Durable local state. `apply` must run the consumers over `entries` and store
 * `version` as the domain's consumed version in ONE transaction: either both
 * happen or neither does.
 */
export interface SyncStore {
  loadVersions(): Promise<Versions>;
  apply(d: Domain, entries: Entry[], version: number): Promise<void>;
  /** Replace local state with the snapshot and set every version to its heads. */
  applySnapshot(snapshot: Snapshot): Promise<void>;
}

/**
 * Why a pull started: `hole` a version was missing among what was pushed
 * (after the quiet period); `behind` the server is ahead (a hello's heads, a
 * full page); `catch_up` asked for (reconnect, foreground); `retry` after a
 * failed pull.
 */
export type PullCause = "hole" | "behind" | "catch_up" | "retry";

/** What the engine reports, for status UI, metrics and tests. */
export type SyncEvent =
  | { type: "applied"; d: Domain; from: number; to: number; count: number }
  | { type: "pull"; d: Domain; after: number; limit: number; cause: PullCause }
  | { type: "pulled"; d: Domain; entries: number; bytes: number; head: number; reset: boolean }
  | { type: "pull_failed"; d: Domain; error: unknown }
  | { type: "snapshot"; heads: Versions }
  | { type: "snapshot_failed"; error: unknown }
  | { type: "dropped"; d: Domain; v: number; reason: "consumed" | "duplicate" }
  | { type: "apply_failed"; d: Domain; error: unknown }
  | { type: "acked"; acks: Partial<Versions> };

export interface SyncStats {
  pulls: number;
  pulledEntries: number;
  pulledBytes: number;
  applied: number;
  dropped: number;
  snapshots: number;
}
