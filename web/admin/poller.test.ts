import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { emptySnapshot, type DashboardResponse } from "../../shared/metrics/snapshot.js";
import { CourierError } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { DashboardPoller, type PollState } from "./poller.js";

const answer = (at: number): DashboardResponse => ({ at, nodes: [], total: emptySnapshot() });

/** A dashboard API whose answers the test scripts: a response, or an error to throw. */
function scripted(answers: (DashboardResponse | Error)[]) {
  const calls: number[] = [];
  const fetchDashboard = vi.fn(async () => {
    calls.push(Date.now());
    const next = answers.shift() ?? answer(Date.now());
    if (next instanceof Error) throw next;
    return next;
  });
  return { fetchDashboard, calls };
}

let poller: DashboardPoller | undefined;
beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => {
  poller?.stop();
  vi.useRealTimers();
});

async function start(answers: (DashboardResponse | Error)[]) {
  const api = scripted(answers);
  poller = new DashboardPoller(api.fetchDashboard);
  const states: PollState[] = [];
  poller.subscribe((s) => states.push(s));
  poller.start();
  await vi.advanceTimersByTimeAsync(0);
  return { api, states, poller };
}

describe("the dashboard poller", () => {
  it("polls at once and every 2 s, one at a time, keeping the answers", async () => {
    const { api, poller } = await start([answer(1_000_000), answer(1_002_000), answer(1_004_000)]);
    expect(api.calls).toEqual([1_000_000]);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(api.calls).toEqual([1_000_000, 1_002_000, 1_004_000]);
    expect(poller.current.status).toEqual({ name: "live" });
    expect(poller.current.history.map((h) => h.at)).toEqual([1_000_000, 1_002_000, 1_004_000]);
    expect(poller.current.lastOkAt).toBe(1_004_000);
  });

  it("stops on a refused token (401): no more attempts, which would count against the address", async () => {
    const { api, poller } = await start([CourierError.unauthorized("Admin token required (Authorization: Bearer $ADMIN_TOKEN).")]);
    expect(poller.current.status).toEqual({ name: "unauthorized", message: "Admin token required (Authorization: Bearer $ADMIN_TOKEN)." });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.calls).toHaveLength(1);
  });

  it("an admin API that is off (404) stops it too", async () => {
    const { api, poller } = await start([CourierError.notFound("Not found.")]);
    expect(poller.current.status).toEqual({ name: "off" });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.calls).toHaveLength(1);
  });

  it("an unreachable or failing server is retried every 2 s, keeping the history, and recovers", async () => {
    const { api, poller, states } = await start([answer(1_000_000), new NetworkError(), new CourierError("unavailable", "Storage is unavailable."), answer(1_006_000)]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(poller.current.status).toEqual({ name: "unreachable" });
    expect(poller.current.history).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(poller.current.status).toEqual({ name: "failing", message: "Storage is unavailable." });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(api.calls).toHaveLength(4);
    expect(poller.current.status).toEqual({ name: "live" });
    expect(poller.current.history.map((h) => h.at)).toEqual([1_000_000, 1_006_000]);
    expect(states.map((s) => s.status.name)).toEqual(["live", "unreachable", "failing", "live"]);
  });

  it("a stop and a start while a poll is in flight (React StrictMode) take that poll up again: one chain of polls, not two", async () => {
    let release: (answer: DashboardResponse) => void = () => {};
    const calls: number[] = [];
    poller = new DashboardPoller(() => {
      calls.push(Date.now());
      return calls.length === 1 ? new Promise((resolve) => (release = resolve)) : Promise.resolve(answer(Date.now()));
    });
    poller.start();
    poller.stop();
    poller.start();
    release(answer(1_000_000));
    await vi.advanceTimersByTimeAsync(4_000);
    expect(calls).toEqual([1_000_000, 1_002_000, 1_004_000]);
    expect(poller.current.history).toHaveLength(3);
  });

  it("stop() ends the polling", async () => {
    const { api, poller } = await start([]);
    poller.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.calls).toHaveLength(1);
  });
});
