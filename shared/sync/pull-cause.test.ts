import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { zeroVersions } from "../protocol/common.js";
import { SyncEngine } from "./engine.js";
import { MemoryLog, MemoryStore } from "./testing.js";
import type { PullCause, SyncEvent } from "./types.js";

/**
 * The `pull` event says why it started: the web app counts the pulls a hole
 * caused (telemetry: courier_client_hole_pulls_total), not the catch-ups of
 * a reconnect, a hello that shows the server ahead, or retries.
 */
let server: MemoryLog;
let engine: SyncEngine;
let causes: PullCause[];

beforeEach(async () => {
  vi.useFakeTimers();
  server = new MemoryLog();
  causes = [];
  const onEvent = (e: SyncEvent) => void (e.type === "pull" && causes.push(e.cause));
  engine = new SyncEngine({ source: server, store: new MemoryStore(), settleMs: 100, maxSettleMs: 1000, ackDelayMs: 50, onEvent });
  await engine.start();
});
afterEach(() => {
  engine.stop();
  vi.useRealTimers();
});

describe("SyncEngine pull causes", () => {
  it("a push that leaves a hole: `hole`, after the quiet period; the pull failing: `retry`", async () => {
    const entries = server.append("chat", 5);
    server.failNextPulls = 1;
    engine.receive(entries.filter((e) => e.v !== 3));
    await vi.advanceTimersByTimeAsync(150);
    expect(causes).toEqual(["hole"]);
    await vi.advanceTimersByTimeAsync(10_000);
    await engine.idle();
    expect(causes).toEqual(["hole", "retry"]);
    expect(engine.versions.chat).toBe(5);
  });

  it("a hello with the server ahead: `behind`; a catch-up asked for: `catch_up`; neither is a hole", async () => {
    server.append("chat", 3);
    engine.hello({ ...zeroVersions(), chat: 3 });
    await vi.advanceTimersByTimeAsync(0);
    await engine.idle();
    expect(causes).toEqual(["behind"]);
    engine.catchUp();
    await engine.idle();
    expect(causes).toEqual(["behind", "catch_up", "catch_up", "catch_up"]);
  });
});
