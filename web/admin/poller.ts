import { CourierError } from "../../shared/protocol/index.js";
import type { DashboardResponse } from "../../shared/metrics/snapshot.js";
import { NetworkError } from "../api/errors.js";
import { HISTORY_MS, keepRecent } from "./series.js";

/**
 * Polls `GET /api/admin/dashboard` every 2 s and keeps the last 10 minutes.
 *
 *   start ─► poll ─ok──────────► live ──┐
 *             ▲   ─no answer───► unreachable ──┤ (next poll in 2 s)
 *             │   ─5xx, 429────► failing ──────┤
 *             └────────────────────────────────┘
 *                 ─401─► unauthorized (stops: a wrong token is not retried,
 *                        each try costs the address one of its admin attempts)
 *                 ─404─► off (ADMIN_TOKEN is not set on the server: stops)
 *
 * One poll at a time: the next is scheduled when the last has answered, so a
 * slow server is never asked twice at once.
 */
export type PollStatus =
  | { name: "loading" }
  | { name: "live" }
  | { name: "unreachable" }
  | { name: "failing"; message: string }
  | { name: "unauthorized"; message: string }
  | { name: "off" };

export interface PollState {
  status: PollStatus;
  history: DashboardResponse[];
  /** When the last answer came (this browser's clock), for "updated 2 s ago". */
  lastOkAt: number | null;
}

export interface PollerOptions {
  intervalMs?: number;
  keepMs?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export const POLL_MS = 2_000;

export class DashboardPoller {
  private state: PollState = { status: { name: "loading" }, history: [], lastOkAt: null };
  private timer: unknown = null;
  private running = false;
  private inFlight = false;
  private readonly listeners = new Set<(state: PollState) => void>();
  private readonly intervalMs: number;
  private readonly keepMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(
    private readonly fetchDashboard: () => Promise<DashboardResponse>,
    opts: PollerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? POLL_MS;
    this.keepMs = opts.keepMs ?? HISTORY_MS;
    this.now = opts.now ?? Date.now;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  }

  get current(): PollState {
    return this.state;
  }

  subscribe(listener: (state: PollState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts polling; a poll still in flight from before a stop() is taken up again, never doubled (React StrictMode stops and restarts effects). */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.inFlight) void this.poll();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    this.timer = null;
    this.inFlight = true;
    const outcome = await this.fetchDashboard().then(
      (answer) => ({ answer }),
      (error: unknown) => ({ status: statusOf(error) }),
    );
    this.inFlight = false;
    if (!this.running) return;
    if ("answer" in outcome) {
      this.update({ status: { name: "live" }, history: keepRecent(this.state.history, outcome.answer, this.keepMs), lastOkAt: this.now() });
    } else {
      this.update({ ...this.state, status: outcome.status });
      if (outcome.status.name === "unauthorized" || outcome.status.name === "off") {
        this.running = false;
        return;
      }
    }
    this.timer = this.setTimer(() => void this.poll(), this.intervalMs);
  }

  private update(state: PollState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}

/** What a failed poll means for the operator. */
export function statusOf(error: unknown): PollStatus {
  if (error instanceof NetworkError) return { name: "unreachable" };
  if (error instanceof CourierError) {
    if (error.code === "unauthorized") return { name: "unauthorized", message: error.message };
    if (error.code === "not_found") return { name: "off" };
    return { name: "failing", message: error.message };
  }
  return { name: "failing", message: error instanceof Error ? error.message : "Something went wrong." };
}
