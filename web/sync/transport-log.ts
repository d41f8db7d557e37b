import type { TransportName } from "../../shared/protocol/index.js";

/**
 * What the connection manager and the transports did, for
 * `window.__courier.transportLog()`: the end-to-end suite times fallbacks
 * and dead-link detection with it, and a person debugging a proxy can see
 * which transports were tried.
 *
 * - `hello`: this transport said hello and carries the session now (again).
 * - `fallback`: this (lower) transport was started because the one above it
 *   was late, failed or went down.
 * - `upgrade`: this (better) transport took over from a lower one, after its hello.
 * - `down`: this transport was in use and lost its link for longer than the grace period.
 * - `dead`: this transport's link showed no sign of life for too long (heartbeat,
 *   long-poll deadline) and is being replaced; `detail` says
 *   "no sign of life for N ms".
 */
export type TransportEvent = "hello" | "fallback" | "upgrade" | "down" | "dead";

export interface TransportLogEntry {
  name: TransportName;
  event: TransportEvent;
  /** Epoch milliseconds. */
  at: number;
  /** Milliseconds since the page started loading (performance.now()), for timing against navigation. */
  sinceLoadMs: number;
  /** For people reading the log, e.g. "no sign of life for 25000 ms". */
  detail?: string;
}

export const TRANSPORT_LOG_LIMIT = 200;

export class TransportLog {
  private readonly entries: TransportLogEntry[] = [];

  constructor(
    private readonly limit = TRANSPORT_LOG_LIMIT,
    private readonly now: () => number = () => Date.now(),
    private readonly sinceLoad: () => number = () => (typeof performance === "undefined" ? 0 : performance.now()),
  ) {}

  record(name: TransportName, event: TransportEvent, detail?: string): void {
    const entry: TransportLogEntry = { name, event, at: this.now(), sinceLoadMs: Math.round(this.sinceLoad()) };
    if (detail !== undefined) entry.detail = detail;
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  /** Oldest first; a copy. */
  list(): TransportLogEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }
}

/** A link declared dead (the heartbeat's or a poll's deadline), for the log. */
export function recordDead(log: TransportLog | null | undefined, name: TransportName, silentMs: number): void {
  log?.record(name, "dead", `no sign of life for ${Math.round(silentMs)} ms`);
}

/** The page's log: it outlives sessions (sign-out and in again keeps the history). */
export const transportLog = new TransportLog();
