import { DOMAIN_PRIORITY, DOMAINS, type Domain, type Versions, zeroVersions } from "../protocol/common.js";
import type { Entry } from "../protocol/entries.js";
import { CourierError } from "../protocol/errors.js";
import { formatRanges, PULL_LIMIT_MAX, PULL_ONLY_RANGES_MAX, type PullRequest, type PullResponse } from "../protocol/sync.js";
import { DomainBuffer } from "./domain-buffer.js";
import { type Clock, type PullCause, type SyncEvent, type SyncSource, type SyncStats, type SyncStore, systemClock } from "./types.js";

export interface SyncEngineOptions {
  source: SyncSource;
  store: SyncStore;
  clock?: Clock;
  /** Quiet time a hole waits for late pushes before it is pulled. */
  settleMs?: number;
  /** A hole is pulled at the latest this long after it was first seen. */
  maxSettleMs?: number;
  /** Largest page asked for in one pull request. */
  pullLimit?: number;
  /** Acks of applied versions are batched over this window. */
  ackDelayMs?: number;
  /** Largest batch handed to the store in one transaction. */
  applyBatch?: number;
  onEvent?: (event: SyncEvent) => void;
}

type Timer = { handle: unknown } | null;

/**
 * The client half of the sync layer: turns pushes and pulls, in any order and
 * with any duplication, into one ordered, gap-free, de-duplicated stream per
 * domain, applies it durably through the store and acks what was applied.
 *
 * One domain's life (each domain independently; a snapshot blocks all):
 *
 *                push leaves a hole                    quiet for settleMs
 *   ┌─────────┐ ─────────────────────▶ ┌──────────┐ ──(or maxSettleMs)──▶ ┌─────────┐
 *   │  ready  │                        │ settling │                       │ pulling │──┐
 *   │(consume)│ ◀───────────────────── └──────────┘                       └─────────┘  │ reset
 *   └─────────┘   late push fills it                                        │   ▲      ▼
 *        ▲  ▲                                                merge, resume  │   │  ┌──────────┐
 *        │  └───────────────────────────────────────────────────────────────┘   │  │ snapshot │
 *        │        hello/catch-up shows we are behind: pull at once ─────────────┘  └──────────┘
 *        └─────────────────────────────── continue from heads ─────────────────────────┘
 *
 * While a domain is pulling its consumption is blocked and pushes keep
 * accumulating in its buffer; the pull's entries merge into the same buffer.
 * Consumption is strictly in version order, highest-priority domain first,
 * through a single drain loop so concurrent pushes and pulls never interleave
 * writes.
 */
export class SyncEngine {
  private readonly source: SyncSource;
  private readonly store: SyncStore;
  private readonly clock: Clock;
  private readonly settleMs: number;
  private readonly maxSettleMs: number;
  private readonly pullLimit: number;
  private readonly ackDelayMs: number;
  private readonly applyBatch: number;
  private readonly onEvent: (event: SyncEvent) => void;

  private readonly buffers: Record<Domain, DomainBuffer>;
  private readonly consumed: Versions = zeroVersions();
  private readonly pending = new Set<Domain>(); // pulls in flight
  private readonly settleTimers: Record<Domain, Timer> = { chat: null, system: null, marketing: null };
  private readonly retryTimers: Record<Domain, Timer> = { chat: null, system: null, marketing: null };
  private readonly failures: Record<Domain, number> = { chat: 0, system: 0, marketing: 0 };
  /** Pulls may ask for only what is missing (`only`), until a server refuses it. */
  private sparse = true;
  private readonly unacked: Partial<Versions> = {};
  private ackTimer: Timer = null;
  /** A snapshot is owed: consumption and pulls wait until one has been applied. */
  private needSnapshot = false;
  private snapshotInFlight = false;
  private snapshotFailures = 0;
  private snapshotTimer: Timer = null;
  private draining = false;
  private drainAgain = false;
  private started = false;
  private stopped = false;
  private drainRetry: Timer = null;
  private waiters: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];
  private readonly counters: SyncStats = {
    pulls: 0,
    pulledEntries: 0,
    pulledBytes: 0,
    applied: 0,
    dropped: 0,
    snapshots: 0,
  };

  constructor(opts: SyncEngineOptions) {
    this.source = opts.source;
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.settleMs = opts.settleMs ?? 120;
    this.maxSettleMs = opts.maxSettleMs ?? 1000;
    this.pullLimit = Math.min(opts.pullLimit ?? PULL_LIMIT_MAX, PULL_LIMIT_MAX);
    this.ackDelayMs = opts.ackDelayMs ?? 100;
    this.applyBatch = opts.applyBatch ?? 500;
    this.onEvent = opts.onEvent ?? (() => {});
    this.buffers = { chat: new DomainBuffer(), system: new DomainBuffer(), marketing: new DomainBuffer() };
  }

  get versions(): Versions {
    return { ...this.consumed };
  }

  get stats(): SyncStats {
    return { ...this.counters };
  }

  /** Loads the consumed versions. Pushes received before this are kept and applied after. */
  async start(): Promise<void> {
    const stored = await this.store.loadVersions();
    for (const d of DOMAINS) {
      this.consumed[d] = Math.max(this.consumed[d], stored[d]);
      this.buffers[d].dropThrough(this.consumed[d]);
    }
    this.started = true;
    this.kick();
  }

  /** Pushed entries (any order, any duplication). */
  receive(entries: readonly Entry[]): void {
    if (this.stopped) return;
    for (const entry of entries) this.accept(entry);
    this.kick();
    // Every arrival restarts a hole's quiet period, even while an apply is running.
    if (this.draining) this.checkHoles();
  }

  /**
   * A connection said hello: the server's heads are the versions it will not
   * push again on this connection, so a domain behind them pulls right away.
   */
  hello(heads: Versions): void {
    if (this.stopped) return;
    for (const d of DOMAINS) {
      const buffer = this.buffers[d];
      buffer.noteHead(heads[d]);
      if (heads[d] > this.consumed[d]) buffer.urgent = true;
    }
    // A new connection starts with no acks on record for it: tell it where we are.
    if (this.started) for (const d of DOMAINS) if (this.consumed[d] > 0) this.scheduleAck(d, this.consumed[d]);
    // The server is behind what we consumed: its data was restored or reset.
    // Our versions mean nothing there any more, so start over from a snapshot.
    if (this.started && DOMAINS.some((d) => heads[d] < this.consumed[d])) {
      this.requestSnapshot();
      return;
    }
    this.kick();
  }

  /** Pull every domain from its consumed version (reconnect, foreground). */
  catchUp(): void {
    if (this.stopped || !this.started) return;
    for (const d of DOMAINS) this.requestPull(d, "catch_up");
  }

  /** Drop local state and start over from a snapshot (a server `cmd`, a user's "repair"). */
  resync(): void {
    if (this.stopped || !this.started) return;
    this.requestSnapshot();
  }

  /** Resolves once no pull, snapshot or apply is in flight. Timers may still be armed. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const d of DOMAINS) {
      this.clearTimer(this.settleTimers, d);
      this.clearTimer(this.retryTimers, d);
    }
    if (this.ackTimer) this.clock.clearTimeout(this.ackTimer.handle);
    if (this.snapshotTimer) this.clock.clearTimeout(this.snapshotTimer.handle);
    this.snapshotTimer = null;
    if (this.drainRetry) this.clock.clearTimeout(this.drainRetry.handle);
    this.ackTimer = null;
    this.drainRetry = null;
    this.notifyIdle();
  }

  // ── buffering ────────────────────────────────────────────────────────────

  private accept(entry: Entry): void {
    const d = entry.d;
    const buffer = this.buffers[d];
    if (!buffer) return; // unknown domain from a newer server: not ours to consume
    if (entry.v <= this.consumed[d]) {
      this.counters.dropped++;
      this.onEvent({ type: "dropped", d, v: entry.v, reason: "consumed" });
      // A re-push of something applied means the server did not get our ack: say it again.
      if (this.started) this.scheduleAck(d, this.consumed[d]);
      return;
    }
    if (buffer.put(entry)) {
      this.counters.dropped++;
      this.onEvent({ type: "dropped", d, v: entry.v, reason: "duplicate" });
    }
  }

  // ── consumption ──────────────────────────────────────────────────────────

  /** Start (or re-run) the single drain loop, then look for holes. */
  private kick(): void {
    if (!this.started || this.stopped) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        let d: Domain | null;
        while ((d = this.nextReadyDomain()) !== null) {
          const ok = await this.applyRun(d);
          if (!ok || this.stopped) return;
        }
      } while (this.drainAgain && !this.stopped);
    } finally {
      this.draining = false;
      const drainWaiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of drainWaiters) resolve();
      if (!this.stopped) this.checkHoles();
      this.notifyIdle();
    }
  }

  /** Highest-priority domain that can consume its next version now. */
  private nextReadyDomain(): Domain | null {
    if (this.needSnapshot) return null;
    let best: Domain | null = null;
    for (const d of DOMAINS) {
      if (this.pending.has(d) || !this.buffers[d].has(this.consumed[d] + 1)) continue;
      if (best === null || DOMAIN_PRIORITY[d] < DOMAIN_PRIORITY[best]) best = d;
    }
    return best;
  }

  private async applyRun(d: Domain): Promise<boolean> {
    const from = this.consumed[d] + 1;
    const run = this.buffers[d].runFrom(from, this.applyBatch);
    const to = from + run.length - 1;
    try {
      await this.store.apply(d, run, to);
    } catch (error) {
      this.onEvent({ type: "apply_failed", d, error });
      // Local storage failed (quota, closed db): keep the entries and retry later.
      this.drainRetry = { handle: this.clock.setTimeout(() => ((this.drainRetry = null), this.kick()), 1000) };
      return false;
    }
    if (this.stopped) return false;
    this.consumed[d] = to;
    this.buffers[d].dropThrough(to);
    this.counters.applied += run.length;
    this.onEvent({ type: "applied", d, from, to, count: run.length });
    this.scheduleAck(d, to);
    return true;
  }

  // ── holes and pulls ──────────────────────────────────────────────────────

  /**
   * A domain that lacks its next version waits for late pushes (a quiet
   * period of settleMs, restarted by every arrival, at most maxSettleMs in
   * all), then pulls the gap at once: one request, for only the versions it
   * lacks (see pull). When we know the missing entries
   * will not be pushed (hello heads, a full pull page) it pulls right away.
   */
  private checkHoles(): void {
    if (this.needSnapshot || !this.started || this.stopped) return;
    for (const d of DOMAINS) {
      if (this.pending.has(d)) continue;
      const buffer = this.buffers[d];
      if (buffer.head <= this.consumed[d] || buffer.has(this.consumed[d] + 1)) {
        buffer.holeSince = null;
        buffer.urgent = false;
        this.clearTimer(this.settleTimers, d);
        continue;
      }
      if (buffer.urgent || this.settleMs === 0) {
        this.requestPull(d, buffer.urgent ? "behind" : "hole");
        continue;
      }
      const now = this.clock.now();
      buffer.holeSince ??= now;
      this.armSettle(d, now);
    }
  }

  /**
   * The quiet period before a pull. "Quiet" counts only while we could hear:
   * a timer that fires more than settleMs late means the page itself stalled
   * (a long render, a busy machine), and pushes that arrived meanwhile are
   * still queued behind it. Then it waits another period (again after each
   * late firing, never past maxSettleMs from when the hole appeared)
   * instead of pulling what is already here.
   */
  private armSettle(d: Domain, now: number): void {
    const buffer = this.buffers[d];
    const deadline = (buffer.holeSince ?? now) + this.maxSettleMs;
    const wait = Math.max(0, Math.min(this.settleMs, deadline - now));
    const due = now + wait;
    this.clearTimer(this.settleTimers, d);
    this.settleTimers[d] = {
      handle: this.clock.setTimeout(() => {
        this.settleTimers[d] = null;
        // A late push may have closed the hole while an apply kept us from noticing.
        if (this.buffers[d].has(this.consumed[d] + 1)) return this.kick();
        const firedAt = this.clock.now();
        if (firedAt - due > this.settleMs && firedAt < deadline) return this.armSettle(d, firedAt);
        this.requestPull(d, "hole");
      }, wait),
    };
  }

  private requestPull(d: Domain, cause: PullCause): void {
    if (this.stopped || this.pending.has(d) || this.needSnapshot) return;
    this.clearTimer(this.settleTimers, d);
    this.clearTimer(this.retryTimers, d);
    void this.pull(d, cause);
  }

  private async pull(d: Domain, cause: PullCause): Promise<void> {
    const buffer = this.buffers[d];
    const after = this.consumed[d];
    // One page, from the first missing version to the last one we know of:
    // entries we already hold beyond the last gap are not fetched again, and
    // those we hold between the gaps are left out of the answer (`only`).
    const gap = buffer.lastMissing(after) - after;
    const limit = gap > 0 ? Math.min(this.pullLimit, gap) : this.pullLimit;
    // Never sparse after a failed pull, nor once a server refused `only` (older, mid-upgrade).
    const missing = this.sparse && this.failures[d] === 0 ? buffer.missingRanges(after, after + limit, PULL_ONLY_RANGES_MAX) : null;
    const request: PullRequest = missing ? { d, after, limit, only: formatRanges(missing) } : { d, after, limit };
    this.pending.add(d);
    buffer.holeSince = null;
    buffer.urgent = false;
    this.counters.pulls++;
    this.onEvent({ type: "pull", d, after, limit, cause });
    let response: PullResponse;
    try {
      response = await this.source.pull(request);
    } catch (error) {
      this.pending.delete(d);
      if (request.only !== undefined && error instanceof CourierError && error.code === "bad_request") this.sparse = false;
      this.onEvent({ type: "pull_failed", d, error });
      this.scheduleRetry(d);
      this.notifyIdle();
      return;
    }
    this.pending.delete(d);
    if (this.stopped) return this.notifyIdle();
    this.failures[d] = 0;
    const bytes = JSON.stringify(response.entries).length;
    this.counters.pulledEntries += response.entries.length;
    this.counters.pulledBytes += bytes;
    this.onEvent({ type: "pulled", d, entries: response.entries.length, bytes, head: response.head, reset: response.reset });
    if (after < this.consumed[d]) {
      // Something else (a snapshot) moved us on while this was in flight: its answer is stale.
      this.kick();
      return this.notifyIdle();
    }
    // The server cannot continue from where we are: its log no longer holds
    // after+1 (trimmed), or it is behind us (restored). Start over from a snapshot.
    const first = response.entries[0];
    if (response.reset || response.head < after || (first !== undefined && first.v !== after + 1)) {
      this.requestSnapshot();
      return this.notifyIdle();
    }
    buffer.noteHead(response.head);
    for (const entry of response.entries) if (entry.d === d) this.accept(entry);
    // The server holds more than one page: keep paging without settling.
    // (A sparse answer leaves out what we hold: its page was full if the server has more beyond it.)
    if ((request.only !== undefined || response.entries.length >= limit) && response.head > after + limit) buffer.urgent = true;
    this.kick();
    this.notifyIdle();
  }

  private scheduleRetry(d: Domain): void {
    const delay = backoffMs(++this.failures[d]);
    this.clearTimer(this.retryTimers, d);
    this.retryTimers[d] = {
      handle: this.clock.setTimeout(() => {
        this.retryTimers[d] = null;
        this.requestPull(d, "retry");
      }, delay),
    };
  }

  private requestSnapshot(): void {
    this.needSnapshot = true;
    for (const d of DOMAINS) this.clearTimer(this.settleTimers, d);
    if (!this.snapshotInFlight && !this.snapshotTimer) void this.snapshot();
  }

  /** One snapshot at a time; a failed one is retried with backoff until it lands. */
  private async snapshot(): Promise<void> {
    this.snapshotInFlight = true;
    try {
      const snapshot = await this.source.snapshot();
      // Wait for an apply in flight: the snapshot must land after it, not interleave.
      while (this.draining) await new Promise<void>((r) => this.drainWaiters.push(r));
      if (this.stopped) return;
      await this.store.applySnapshot(snapshot);
      if (this.stopped) return;
      for (const d of DOMAINS) {
        this.consumed[d] = snapshot.heads[d];
        this.buffers[d].dropThrough(snapshot.heads[d]);
        this.buffers[d].noteHead(snapshot.heads[d]);
        // The server learns at once that this device holds everything up to the heads.
        if (snapshot.heads[d] > 0) this.scheduleAck(d, snapshot.heads[d]);
      }
      this.snapshotFailures = 0;
      this.counters.snapshots++;
      this.onEvent({ type: "snapshot", heads: snapshot.heads });
      this.needSnapshot = false;
    } catch (error) {
      this.onEvent({ type: "snapshot_failed", error });
      if (!this.stopped) {
        const delay = backoffMs(++this.snapshotFailures);
        this.snapshotTimer = {
          handle: this.clock.setTimeout(() => {
            this.snapshotTimer = null;
            void this.snapshot();
          }, delay),
        };
      }
    } finally {
      this.snapshotInFlight = false;
      if (!this.needSnapshot) this.kick();
      this.notifyIdle();
    }
  }

  // ── acks ─────────────────────────────────────────────────────────────────

  private scheduleAck(d: Domain, v: number): void {
    this.unacked[d] = v;
    if (this.ackTimer) return;
    this.ackTimer = { handle: this.clock.setTimeout(() => this.flushAcks(), this.ackDelayMs) };
  }

  private flushAcks(): void {
    this.ackTimer = null;
    const acks = { ...this.unacked };
    for (const d of DOMAINS) delete this.unacked[d];
    if (Object.keys(acks).length === 0 || this.stopped) return;
    this.onEvent({ type: "acked", acks });
    this.source.ack(acks).catch(() => {
      // Not lost: a later ack carries a higher version, and a reconnect re-acks.
      for (const d of DOMAINS) {
        const v = acks[d];
        if (v !== undefined && (this.unacked[d] ?? 0) < v) this.unacked[d] = v;
      }
    });
  }

  // ── helpers ──────────────────────────────────────────────────────────────

  private clearTimer(timers: Record<Domain, Timer>, d: Domain): void {
    const timer = timers[d];
    if (timer) this.clock.clearTimeout(timer.handle);
    timers[d] = null;
  }

  private isIdle(): boolean {
    return this.stopped || (!this.draining && this.pending.size === 0 && !this.snapshotInFlight);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** 500 ms, 1 s, 2 s, … capped at 30 s. */
function backoffMs(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
}
