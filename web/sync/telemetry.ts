import {
  type Entry,
  TELEMETRY_INTERVAL_MS,
  TELEMETRY_LIMITS,
  TELEMETRY_PATH,
  type TelemetryReport,
  type TransportName,
  type TransportSwitch,
} from "../../shared/protocol/index.js";
import { systemClock, type Clock } from "../../shared/sync/types.js";
import type { PageEnvironment } from "./page-signals.js";

/**
 * What only the app sees, reported to the server (`POST /api/telemetry`,
 * docs/observability.md "Client reports"): receive → on screen time of
 * messages shown live in the open conversation, pulls caused by holes,
 * transport switches, outbox waits. Numbers only, never ids or text.
 *
 *   something recorded ──▶ a batch goes out `intervalMs` (30 s) later, with
 *                          everything recorded meanwhile (so at most one per 30 s)
 *   page hidden or left ──▶ what is waiting goes out at once (keepalive);
 *                          hidden within 20 s of the last batch: left for the timer
 *   nothing recorded    ──▶ nothing is sent
 *
 * A failed send is dropped: never retried, never in chat's way. Each list
 * keeps its newest values up to the schema's bounds. Nothing is collected
 * between a stop and the next start (nobody signed in).
 */
export interface TelemetryOptions {
  /** Timers for the batch (and wall time, unused otherwise). */
  clock?: Clock;
  /** Monotonic ms for render times (performance.now). */
  perf?: () => number;
  /** Runs `fn` just before the next paint (requestAnimationFrame). */
  nextFrame?: (fn: () => void) => void;
  /** Whether the page is visible: a hidden page paints nothing, so nothing rendered then is timed. */
  visible?: () => boolean;
  intervalMs?: number;
}

/** Where batches go while someone is signed in (the sync client). */
export interface TelemetrySink {
  send(report: TelemetryReport): Promise<unknown>;
}

/** Messages received and not shown yet, kept for timing; the oldest are forgotten first. */
const ARRIVALS_MAX = 500;
/** A message first shown this long after it arrived was not shown live (its conversation was opened later). */
const ARRIVAL_TTL_MS = 60_000;
/**
 * Hidden again this soon after a batch went out (switching tabs back and
 * forth): what waits stays for the batch timer. Batches are then at least
 * 20 s apart, at most 3 a minute per tab, so two tabs stay within the
 * per-user limit (`RATE_TELEMETRY_PER_MIN`, 6) and 429s do not fill the
 * error counts. Leaving the page (pagehide) always sends.
 */
export const HIDDEN_FLUSH_GAP_MS = 20_000;

export class Telemetry {
  private readonly clock: Clock;
  private readonly perf: () => number;
  private readonly nextFrame: (fn: () => void) => void;
  private readonly visible: () => boolean;
  private readonly intervalMs: number;
  private sink: TelemetrySink | null = null;
  private timer: unknown = null;
  /** The transport that last said hello; a different one saying hello is a switch. */
  private current: TransportName | null = null;
  private renderMs: number[] = [];
  private holePulls = 0;
  private switches: TransportSwitch[] = [];
  private outboxMs: number[] = [];
  /** Message id → when its entry arrived (perf ms). */
  private readonly arrivals = new Map<string, number>();
  /** Bumped when the page is hidden: frames asked for before then are not timed. */
  private generation = 0;
  /** When the last batch went out (clock ms). */
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(opts: TelemetryOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.perf = opts.perf ?? (() => performance.now());
    this.nextFrame = opts.nextFrame ?? ((fn) => requestAnimationFrame(() => fn()));
    this.visible = opts.visible ?? (() => document.visibilityState === "visible");
    this.intervalMs = opts.intervalMs ?? TELEMETRY_INTERVAL_MS;
  }

  /**
   * Reports go to `sink` from now on; batches also go out when the page is
   * hidden or left. Returns the stop: what is waiting is sent, then nothing
   * more until the next start.
   */
  start(sink: TelemetrySink, env: PageEnvironment = { document, window }): () => void {
    this.sink = sink;
    // A new session (perhaps another user's): its own limit, its own gap.
    this.lastSentAt = Number.NEGATIVE_INFINITY;
    const onHide = () => {
      this.generation++;
      this.flush();
    };
    const onVisibility = () => {
      if (env.document.visibilityState !== "hidden") return;
      this.generation++;
      if (this.clock.now() - this.lastSentAt >= HIDDEN_FLUSH_GAP_MS) this.flush();
    };
    env.document.addEventListener("visibilitychange", onVisibility);
    env.window.addEventListener("pagehide", onHide);
    return () => {
      env.document.removeEventListener("visibilitychange", onVisibility);
      env.window.removeEventListener("pagehide", onHide);
      this.flush();
      if (this.sink === sink) this.sink = null;
    };
  }

  // ── what happened ──────────────────────────────────────────────────────

  /** Entries pushed by the live transport: their messages' arrival, for `shown`. */
  arrived(entries: readonly Entry[]): void {
    if (!this.sink) return;
    const at = this.perf();
    for (const entry of entries) {
      const id = messageIdOf(entry);
      if (id === null) continue;
      this.arrivals.delete(id);
      this.arrivals.set(id, at);
    }
    for (const id of this.arrivals.keys()) {
      if (this.arrivals.size <= ARRIVALS_MAX) break;
      this.arrivals.delete(id);
    }
  }

  /** A message list opened with these messages: they were not shown live, so they are not timed. */
  seen(ids: Iterable<string>): void {
    for (const id of ids) this.arrivals.delete(id);
  }

  /** These messages were just rendered in the open conversation: timed at the next paint. */
  shown(ids: Iterable<string>): void {
    const now = this.perf();
    const timed: number[] = [];
    for (const id of ids) {
      const at = this.arrivals.get(id);
      if (at === undefined) continue;
      this.arrivals.delete(id);
      if (now - at <= ARRIVAL_TTL_MS) timed.push(at);
    }
    if (timed.length === 0 || !this.visible()) return;
    const generation = this.generation;
    this.nextFrame(() => {
      if (generation !== this.generation || !this.visible()) return;
      const painted = this.perf();
      for (const at of timed) this.add(this.renderMs, painted - at, TELEMETRY_LIMITS.renderMs);
      this.due();
    });
  }

  /** The sync engine pulled because a version was missing. */
  holePull(): void {
    if (!this.sink) return;
    this.holePulls = Math.min(this.holePulls + 1, TELEMETRY_LIMITS.holePulls.max);
    this.due();
  }

  /** A transport said hello for this session. */
  transportUp(name: TransportName): void {
    const from = this.current;
    this.current = name;
    if (from === null || from === name || !this.sink) return;
    this.switches.push({ from, to: name });
    this.switches.splice(0, this.switches.length - TELEMETRY_LIMITS.switches.count);
    this.due();
  }

  /** The server accepted an outbox message `ms` after it was queued. */
  outboxWait(ms: number): void {
    this.add(this.outboxMs, ms, TELEMETRY_LIMITS.outboxMs);
    this.due();
  }

  // ── batches ────────────────────────────────────────────────────────────

  /** Sends what is waiting now, if anything (page hidden or left, stop). */
  flush(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const sink = this.sink;
    if (!sink || this.empty) return;
    const report: TelemetryReport = { transport: this.current, renderMs: this.renderMs, holePulls: this.holePulls, switches: this.switches, outboxMs: this.outboxMs };
    this.renderMs = [];
    this.holePulls = 0;
    this.switches = [];
    this.outboxMs = [];
    this.lastSentAt = this.clock.now();
    try {
      sink.send(report).catch(() => {});
    } catch {
      // Dropped: telemetry never gets in chat's way.
    }
  }

  private get empty(): boolean {
    return this.renderMs.length === 0 && this.holePulls === 0 && this.switches.length === 0 && this.outboxMs.length === 0;
  }

  /** Something is waiting: a batch goes out `intervalMs` from now, unless one is already due. */
  private due(): void {
    if (this.timer !== null || !this.sink) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.intervalMs);
  }

  /** Keeps the newest `count` values; one out of the schema's range (a clock that jumped) is left out. */
  private add(list: number[], ms: number, bound: { count: number; max: number }): void {
    if (!this.sink || !Number.isFinite(ms) || ms < 0 || ms > bound.max) return;
    list.push(Math.round(ms * 10) / 10);
    list.splice(0, list.length - bound.count);
  }
}

function messageIdOf(entry: Entry): string | null {
  if (entry.k !== "msg") return null;
  const id = (entry.data as { message?: { id?: unknown } } | null)?.message?.id;
  return typeof id === "string" ? id : null;
}

/**
 * Posts a batch as the signed-in app (cookie session, same origin) with
 * `keepalive`, so one sent as the page goes away still leaves.
 */
export function postTelemetry(report: TelemetryReport, deviceId: string | null, fetchFn: typeof fetch = fetch): Promise<unknown> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (deviceId) headers["X-Device-Id"] = deviceId;
  return fetchFn(TELEMETRY_PATH, { method: "POST", headers, body: JSON.stringify(report), credentials: "include", keepalive: true });
}

/** The page's collector: the sync client starts it for the signed-in session; the message list reports what it shows. */
export const telemetry = new Telemetry();
