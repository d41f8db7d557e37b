import {
  type Domain,
  type Entry,
  type Hello,
  type PullRequest,
  type PullResponse,
  type SendRequest,
  type TransportName,
  type TypingFrame,
  type Versions,
} from "../../shared/protocol/index.js";
import { systemClock, type Clock } from "../../shared/sync/types.js";
import { NetworkError } from "../api/errors.js";
import type { AnyMessage } from "../api/lenient.js";
import { unreachable } from "../lib/unreachable.js";
import type { Transport, TransportHandlers, TransportStatus } from "./transport.js";
import { ladderFor, type TransportChoice, type TransportMemory } from "./transport-choice.js";
import type { TransportLog } from "./transport-log.js";

export interface ConnectionTimings {
  /** A transport that has not said hello this long after it started is late: the next one down starts beside it. */
  helloDeadlineMs: number;
  /** The transport in use may lose its link this long before the next one down is started. */
  dropGraceMs: number;
  /** A better transport (a probe, or one outrun by a lower one) gets this long to say hello before it is closed. */
  probeTimeoutMs: number;
  /** Background probes of a better transport: first after this long on a lower one… */
  probeFirstMs: number;
  /** …then after this, doubling on each failed round… */
  probeIntervalMs: number;
  /** …up to this. Each delay is shortened by up to 20 % at random so tabs do not probe in lockstep. */
  probeMaxMs: number;
  /** After a switch, pushes of the old transport still reach the engine this long (it drops duplicates). */
  overlapMs: number;
}

export const CONNECTION_TIMINGS: ConnectionTimings = {
  helloDeadlineMs: 500,
  dropGraceMs: 1_000,
  probeTimeoutMs: 3_000,
  probeFirstMs: 10_000,
  probeIntervalMs: 30_000,
  probeMaxMs: 300_000,
  overlapMs: 1_000,
};

export interface ConnectionManagerOptions {
  /** One factory per transport this browser can run; each call makes a fresh, unconnected transport. */
  factories: Partial<Record<TransportName, () => Transport>>;
  choice: TransportChoice;
  /** Where the transport that worked last is kept (automatic choice only). */
  memory?: TransportMemory | null;
  log?: TransportLog | null;
  clock?: Clock;
  random?: () => number;
  timings?: Partial<ConnectionTimings>;
}

/**
 * What one transport instance is doing for us.
 * - candidate: racing to say hello while nothing carries the session;
 * - active: carries the session (its pushes, hello and status reach the sync client);
 * - probe: a better transport trying to say hello, to take over without a gap;
 * - retiring: replaced; its pushes still count for `overlapMs`, then it is closed.
 */
interface Attempt {
  readonly id: number;
  readonly name: TransportName;
  /** Position in the ladder: lower is better. */
  readonly rank: number;
  readonly transport: Transport;
  role: "candidate" | "active" | "probe" | "retiring";
  status: TransportStatus;
  /** The role's timer: hello deadline (candidate), probe deadline (probe), end of overlap (retiring). */
  timer: unknown;
}

type State =
  | { name: "idle" }
  | { name: "searching" }
  | { name: "online"; active: Attempt }
  | { name: "recovering"; active: Attempt; grace: unknown };

/**
 * Picks, watches and swaps the transports; to the sync client it is just
 * another Transport. Order ws → sse → poll (what the browser has), or one
 * forced transport (no fallback, no upgrade, no memory).
 *
 *              connect()              first hello (any candidate)
 *   (idle) ─────────────▶ searching ───────────────────────────────▶ online ◀──────────┐
 *                          │    ▲                                     │  ▲  │           │
 *     a candidate is late  │    │ grace over: "down",                 │  │  │ a probe's │
 *     (no hello in 500 ms) │    │ the next one down starts            │  │  │ hello:    │
 *     or fails: the next   ▼    │                      link lost      ▼  │  │ "upgrade" │
 *     one down starts   (race) recovering ◀─────────────────────────────┘  │  ▼           │
 *     beside it                  │   hello again within dropGraceMs ─────┘ probing ─────┘
 *                                └── a lower transport's hello: "fallback"  (every 10 s, 30 s,
 *                                                                            60 s … 5 min)
 *
 * Switching never leaves a gap: the new transport is made active only after
 * its hello, and the old one is closed after `overlapMs`, during which its
 * pushes still reach the engine (which drops the duplicates). A better
 * transport that lost to a lower one keeps trying for `probeTimeoutMs`.
 * Every transport instance is an Attempt with an id; callbacks of one no
 * longer in `attempts` are ignored.
 */
export class ConnectionManager implements Transport {
  private state: State = { name: "idle" };
  private handlers: TransportHandlers | null = null;
  private readonly attempts = new Map<number, Attempt>();
  private nextId = 0;
  private choice: TransportChoice;
  private ladder: TransportName[];
  private lastStatus: TransportStatus | null = null;
  private probeTimer: unknown = null;
  /** Better transports still to try in the current probe round, best first. */
  private probeQueue: TransportName[] = [];
  /** A probe round is under way (a leftover better transport on its deadline is not one). */
  private inProbeRound = false;
  private probeFailures = 0;
  private lastProbeRound = Number.NEGATIVE_INFINITY;
  /** The page is hidden: every transport, the ones started later too, slows its heartbeat and backoff. */
  private hidden = false;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly timings: ConnectionTimings;

  constructor(private readonly opts: ConnectionManagerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.timings = { ...CONNECTION_TIMINGS, ...opts.timings };
    this.choice = opts.choice;
    this.ladder = this.ladderFor(opts.choice);
  }

  /** The transport in use (or about to be). */
  get name(): TransportName {
    const state = this.state;
    if (state.name === "online" || state.name === "recovering") return state.active.name;
    return this.ladder[0] ?? "poll";
  }

  get online(): boolean {
    return this.state.name === "online" && this.state.active.transport.online;
  }

  /** Automatic: fallback, upgrades and memory. Forced: one transport, as it is. */
  private get auto(): boolean {
    return this.choice === "auto" && this.ladder.length > 1;
  }

  connect(handlers: TransportHandlers): void {
    if (this.state.name !== "idle") return;
    this.handlers = handlers;
    this.lastStatus = null;
    this.state = { name: "searching" };
    const first = this.firstChoice();
    if (!first) {
      console.error("courier: this browser has no transport to reach the server");
      this.emit("offline");
      return;
    }
    this.emit("connecting");
    this.start(first, "candidate");
  }

  /** Applies a new choice by reconnecting (the setting in the UI). */
  setChoice(choice: TransportChoice): void {
    this.choice = choice;
    this.ladder = this.ladderFor(choice);
    const handlers = this.handlers;
    if (!handlers) return;
    this.close();
    this.connect(handlers);
  }

  /** Check the links now: each transport pings (or reconnects now); a better transport is probed. */
  wake(): void {
    for (const attempt of this.attempts.values()) attempt.transport.wake();
    // The network may have changed (page shown again, back online): look for a better transport now.
    // (At most once per probeFirstMs: a tab shown and hidden again and again must not hammer a proxy.)
    const state = this.state;
    const rested = this.clock.now() - this.lastProbeRound >= this.timings.probeFirstMs;
    if (this.auto && state.name === "online" && state.active.rank > 0 && !this.probing() && rested) {
      this.probeFailures = 0;
      this.runProbeRound();
    }
  }

  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    for (const attempt of this.attempts.values()) attempt.transport.setHidden(hidden);
  }

  close(): void {
    for (const attempt of [...this.attempts.values()]) this.closeAttempt(attempt);
    this.to({ name: "idle" });
    this.clearProbeTimer();
    this.probeQueue = [];
    this.inProbeRound = false;
    this.handlers = null;
  }

  async send(request: SendRequest): Promise<AnyMessage> {
    return this.active().send(request);
  }
  async pull(request: PullRequest): Promise<PullResponse> {
    return this.active().pull(request);
  }
  async ack(acks: Partial<Versions>): Promise<void> {
    return this.active().ack(acks);
  }
  async typing(conversationId: string): Promise<void> {
    await this.active().typing?.(conversationId);
  }

  // ── attempts ───────────────────────────────────────────────────────────

  private start(name: TransportName, role: "candidate" | "probe"): void {
    const factory = this.opts.factories[name];
    if (!factory || !this.handlers) return;
    const attempt: Attempt = {
      id: ++this.nextId,
      name,
      rank: this.ladder.indexOf(name),
      transport: factory(),
      role,
      status: "connecting",
      timer: null,
    };
    this.attempts.set(attempt.id, attempt);
    if (role === "probe") attempt.timer = this.clock.setTimeout(() => this.probeFailed(attempt), this.timings.probeTimeoutMs);
    else if (this.auto) attempt.timer = this.clock.setTimeout(() => this.late(attempt), this.timings.helloDeadlineMs);
    attempt.transport.setHidden(this.hidden);
    attempt.transport.connect(this.handlersFor(attempt));
  }

  /** What a transport instance may tell us; nothing once it is no longer ours. */
  private handlersFor(attempt: Attempt): TransportHandlers {
    const ours = () => this.attempts.get(attempt.id) === attempt && this.handlers !== null;
    return {
      cursor: () => this.handlers?.cursor() ?? { chat: 0, system: 0, marketing: 0 },
      onHello: (hello: Hello) => {
        if (ours()) this.onAttemptHello(attempt, hello);
      },
      onPush: (entries: Entry[]) => {
        if (ours() && (attempt.role === "active" || attempt.role === "retiring")) this.handlers?.onPush(entries);
      },
      onStatus: (status: TransportStatus) => {
        if (ours()) this.onAttemptStatus(attempt, status);
      },
      onRefused: (code: string) => {
        if (ours() && attempt.role !== "retiring") this.handlers?.onRefused(code);
      },
      onReset: (domains: Domain[]) => {
        // Any connection of ours that is told our cursor is too old speaks for all of them: same cursor.
        if (ours() && attempt.role !== "retiring") return this.handlers?.onReset?.(domains);
      },
      onTyping: (frame: TypingFrame) => {
        if (ours() && (attempt.role === "active" || attempt.role === "retiring")) this.handlers?.onTyping?.(frame);
      },
    };
  }

  private onAttemptHello(attempt: Attempt, hello: Hello): void {
    attempt.status = "online";
    const state = this.state;
    switch (state.name) {
      case "idle":
        return;
      case "searching":
        return this.promote(attempt, hello, null);
      case "online":
      case "recovering": {
        const active = state.active;
        if (attempt === active) {
          // The same transport is back (its own reconnect).
          if (state.name === "recovering") this.to({ name: "online", active });
          this.opts.log?.record(active.name, "hello");
          this.emit("online", true);
          this.handlers?.onHello(hello);
          return;
        }
        if (attempt.role === "retiring") return;
        if (attempt.rank < active.rank) return this.promote(attempt, hello, "upgrade");
        // A lower transport: welcome while the one in use is down, not needed otherwise.
        if (state.name === "recovering") return this.promote(attempt, hello, "fallback");
        return this.closeAttempt(attempt);
      }
      default:
        unreachable(state);
    }
  }

  private onAttemptStatus(attempt: Attempt, status: TransportStatus): void {
    // "online" counts only with a hello, which follows.
    if (status === "online") return;
    attempt.status = status;
    const state = this.state;
    switch (attempt.role) {
      case "active":
        if (state.name === "online" && state.active === attempt) {
          const grace = this.auto ? this.clock.setTimeout(() => this.graceOver(attempt), this.timings.dropGraceMs) : null;
          this.to({ name: "recovering", active: attempt, grace });
        }
        this.emit(status);
        return;
      case "candidate":
        if (status === "offline") this.late(attempt); // failed before its hello: no point waiting for the deadline
        this.emitSearch();
        return;
      case "probe":
        if (status === "offline") this.probeFailed(attempt);
        this.emitSearch();
        return;
      case "retiring":
        return;
      default:
        unreachable(attempt.role);
    }
  }

  /** A candidate is late or failed: start the next transport down beside it (it keeps trying). */
  private late(attempt: Attempt): void {
    if (attempt.role === "candidate") {
      this.clock.clearTimeout(attempt.timer);
      attempt.timer = null;
    }
    if (!this.auto || this.state.name !== "searching" || attempt.status === "online") return;
    const next = this.ladder[attempt.rank + 1];
    if (!next || this.running(next)) return;
    this.opts.log?.record(next, "fallback");
    this.start(next, "candidate");
  }

  /** The transport in use stayed down for dropGraceMs: race the ones below it. */
  private graceOver(attempt: Attempt): void {
    const state = this.state;
    if (state.name !== "recovering" || state.active !== attempt) return;
    this.opts.log?.record(attempt.name, "down");
    this.to({ name: "searching" });
    attempt.role = "candidate"; // it keeps reconnecting by itself and may still win
    this.late(attempt);
    this.emitSearch();
  }

  /** `attempt` said hello and carries the session from now on. */
  private promote(attempt: Attempt, hello: Hello, how: "upgrade" | "fallback" | null): void {
    const state = this.state;
    const previous = state.name === "online" || state.name === "recovering" ? state.active : null;
    this.clock.clearTimeout(attempt.timer);
    attempt.timer = null;
    attempt.role = "active";
    this.to({ name: "online", active: attempt });
    for (const other of [...this.attempts.values()]) {
      if (other === attempt || other.role === "retiring") continue;
      if (other === previous && other.rank > attempt.rank) this.retire(other);
      else if (other.rank < attempt.rank) this.keepTrying(other);
      else this.closeAttempt(other);
    }
    if (this.auto) this.opts.memory?.save(attempt.name);
    if (how === "upgrade") this.opts.log?.record(attempt.name, "upgrade");
    this.opts.log?.record(attempt.name, "hello");
    // A round under way ends here (it found this one, or this one came back by itself).
    this.probeQueue = [];
    this.inProbeRound = false;
    if (attempt.rank === 0) {
      this.clearProbeTimer();
      this.probeFailures = 0;
    } else this.scheduleProbe();
    // Last: the sync client may close us from inside (a hello for another account).
    this.emit("online", true);
    this.handlers?.onHello(hello);
  }

  /** A better transport than the one in use, not greeted yet: it gets probeTimeoutMs more. */
  private keepTrying(attempt: Attempt): void {
    if (attempt.role === "probe") return; // already on a deadline
    this.clock.clearTimeout(attempt.timer);
    attempt.role = "probe";
    attempt.timer = this.clock.setTimeout(() => this.probeFailed(attempt), this.timings.probeTimeoutMs);
  }

  private retire(attempt: Attempt): void {
    this.clock.clearTimeout(attempt.timer);
    attempt.role = "retiring";
    attempt.timer = this.clock.setTimeout(() => this.closeAttempt(attempt), this.timings.overlapMs);
  }

  private closeAttempt(attempt: Attempt): void {
    this.clock.clearTimeout(attempt.timer);
    attempt.timer = null;
    if (this.attempts.get(attempt.id) !== attempt) return;
    this.attempts.delete(attempt.id);
    attempt.transport.close();
  }

  // ── probing for a better transport ─────────────────────────────────────

  private scheduleProbe(): void {
    const state = this.state;
    if (!this.auto || state.name !== "online" || state.active.rank === 0) return;
    if (this.probeTimer !== null || this.probing()) return;
    const n = this.probeFailures;
    const base = n === 0 ? this.timings.probeFirstMs : Math.min(this.timings.probeMaxMs, this.timings.probeIntervalMs * 2 ** Math.min(n - 1, 20));
    const delay = Math.round(base * (1 - 0.2 * this.random()));
    this.probeTimer = this.clock.setTimeout(() => {
      this.probeTimer = null;
      this.runProbeRound();
    }, delay);
  }

  /** Tries each transport better than the one in use, best first, one at a time. */
  private runProbeRound(): void {
    this.clearProbeTimer();
    const state = this.state;
    if (state.name !== "online") return; // searching races everything anyway; promote() schedules again
    this.probeQueue = this.ladder.slice(0, state.active.rank).filter((name) => !this.running(name));
    this.inProbeRound = true;
    this.lastProbeRound = this.clock.now();
    this.nextProbe();
  }

  private nextProbe(): void {
    const name = this.probeQueue.shift();
    if (name) return this.start(name, "probe");
    if (this.inProbeRound) this.probeFailures++;
    this.inProbeRound = false;
    this.scheduleProbe();
  }

  private probeFailed(attempt: Attempt): void {
    if (attempt.role !== "probe" || this.attempts.get(attempt.id) !== attempt) return;
    this.closeAttempt(attempt);
    if (!this.probing()) this.nextProbe();
  }

  private probing(): boolean {
    for (const attempt of this.attempts.values()) if (attempt.role === "probe") return true;
    return false;
  }

  private clearProbeTimer(): void {
    if (this.probeTimer !== null) this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  // ── helpers ────────────────────────────────────────────────────────────

  private firstChoice(): TransportName | null {
    const remembered = this.auto ? this.opts.memory?.load() : null;
    return remembered && this.ladder.includes(remembered) ? remembered : (this.ladder[0] ?? null);
  }

  private ladderFor(choice: TransportChoice): TransportName[] {
    const supported = (Object.keys(this.opts.factories) as TransportName[]).filter((name) => this.opts.factories[name]);
    return ladderFor(choice, supported);
  }

  private running(name: TransportName): boolean {
    for (const attempt of this.attempts.values()) if (attempt.name === name && attempt.role !== "retiring") return true;
    return false;
  }

  private active(): Transport {
    const state = this.state;
    if (state.name === "online") return state.active.transport;
    throw new NetworkError("No transport connected");
  }

  private to(next: State): void {
    const previous = this.state;
    this.state = next;
    if (previous.name === "recovering" && previous.grace !== null) this.clock.clearTimeout(previous.grace);
  }

  /** While searching: "connecting" while any transport still is, else "offline". */
  private emitSearch(): void {
    if (this.state.name !== "searching") return;
    let connecting = false;
    for (const attempt of this.attempts.values()) if (attempt.role !== "retiring" && attempt.status === "connecting") connecting = true;
    this.emit(connecting ? "connecting" : "offline");
  }

  /** `again`: say "online" even if we already did: the transport carrying it changed. */
  private emit(status: TransportStatus, again = false): void {
    if (status === this.lastStatus && !again) return;
    this.lastStatus = status;
    this.handlers?.onStatus(status);
  }
}
