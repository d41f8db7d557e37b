import { z } from "zod";
import {
  CourierError,
  DOMAINS,
  POLL_PATH,
  formatCursor,
  parseCursor,
  pollResponseSchema,
  zeroVersions,
  type Domain,
  type Entry,
  type Versions,
} from "../../shared/protocol/index.js";
import { systemClock, type Clock } from "../../shared/sync/types.js";
import type { Api } from "../api/client.js";
import { NetworkError } from "../api/errors.js";
import { unreachable } from "../lib/unreachable.js";
import { Backoff, Reconnector } from "./backoff.js";
import { LinkMachine, type TransitionTable } from "./link-machine.js";
import type { LinkOptions } from "./link-options.js";
import { recordDead } from "./transport-log.js";
import { HttpRequestsTransport } from "./transport-base.js";
import { refusalOf, type Transport, type TransportHandlers } from "./transport.js";
import { validEntries, validTyping } from "./wire.js";
import { lazy } from "../../shared/protocol/lazy.js";

export interface PollTimings {
  /** How long a poll may park on the server (`wait`). The first poll of a connection uses 0, to say hello at once. */
  waitMs: number;
  /** A poll is abandoned (the link is dead) this long after its `wait` ran out: the answer's travel time, a proxy's hold. */
  timeoutSlackMs: number;
  /** On wake() (page visible, browser online), a poll in flight for longer than this is abandoned and asked again at once. */
  wakeRestartMs: number;
  /** A parked poll answered empty sooner than this (a proxy that does not hold requests): pause this long before the next. */
  quickEmptyMs: number;
  /**
   * How long what came may stay ahead of what the engine consumed before the
   * next poll stops trusting it and asks from the engine's versions again
   * (entries dropped between transport and engine are then sent again).
   */
  receivedTrustMs: number;
}

export const POLL_TIMINGS: PollTimings = {
  waitMs: 25_000,
  timeoutSlackMs: 10_000,
  wakeRestartMs: 1_000,
  quickEmptyMs: 1_000,
  receivedTrustMs: 2_000,
};

export interface PollTransportOptions extends LinkOptions {
  deviceId: string;
  /** The poll itself and requests (send, pull, ack) go through it. */
  api: Api;
  timings?: Partial<PollTimings>;
}

// Entries are checked one by one (wire.ts): one malformed entry must not cost the whole answer.
const pollAnswerSchema = lazy(() => pollResponseSchema.extend({ entries: z.array(z.unknown()), ephemeral: z.array(z.unknown()).optional() }));
type PollAnswer = z.infer<typeof pollAnswerSchema>;

/** Server answers that retrying will not fix by itself: the sync client decides (re-check the session, new device id). */
const REFUSALS = new Set(["unauthorized", "forbidden", "conflict", "bad_request", "not_found"]);

type PollState =
  | { name: "idle" }
  | { name: "polling"; attempt: number; controller: AbortController; deadline: unknown; wait: number; startedAt: number }
  | { name: "pausing"; attempt: number; timer: unknown }
  | { name: "resetting"; attempt: number }
  | { name: "waiting" };

/** The legal moves of the diagram below; close() (any state → idle) is not drawn. */
export const POLL_TRANSITIONS: TransitionTable<PollState["name"]> = {
  idle: ["polling"],
  polling: ["polling", "pausing", "resetting", "waiting", "idle"],
  pausing: ["polling", "idle"],
  resetting: ["polling", "pausing", "idle"],
  waiting: ["polling", "idle"],
};

/**
 * Long-polling transport (`GET /api/poll`): the most widely working one,
 * plain request/response. Server → client only; send, pull and ack go over
 * HTTP. An answer with entries is followed by the next poll at once: its
 * cursor is the engine's consumed versions raised to what this connection
 * has received (the answer's `cursor`), so nothing comes twice and nothing
 * waits for the engine to apply; its `ack` (a protocol extension) is the
 * consumed versions, so receipts still mean "stored on the device". Should
 * the engine not catch up with what came within `receivedTrustMs` (entries
 * dropped on the way), the next poll asks from the engine's versions again,
 * as does every new connection.
 *
 *                      ┌──────────── answer with entries: next poll at once ───────┐
 *            connect() ▼                                                            │
 *   (idle) ─────────▶ polling ──────────────────────────────────────────────────────┤
 *      (wait=0 first, │ ▲ │  ╲ reset                                                │
 *       then waitMs)  │ └─┘   ╲                                                     │
 *                     │ empty  ▼          a repeated reset,                         │
 *                     │ answer, resetting ───────────────────▶ pausing ── timer ───┤
 *                     │ wake()     └─────────── snapshot taken ─────────────────────┘
 *    error, timeout   │                                           ▲
 *    (dead: no answer ▼                                           │ a parked poll answered empty at once
 *    by wait + slack) waiting ── timer, wake() (never before       (a proxy that does not hold requests:
 *                                Retry-After) ──▶ polling           `quickEmptyMs`, so as not to spin)
 *
 * The poll is its own heartbeat: an answer by `wait` + `timeoutSlackMs` or
 * the link is dead. wake() (page visible, browser online) does not wait for
 * that: a poll in flight for more than `wakeRestartMs` is abandoned and asked
 * again at once (polling ─▶ polling), and a wait in `waiting` is cut short
 * unless the server asked for it (Retry-After).
 *
 * Each poll has an attempt id; the answer of one that was abandoned (close,
 * timeout, wake) is ignored.
 */
export class PollTransport extends HttpRequestsTransport implements Transport {
  readonly name = "poll" as const;
  /** This connection (polls since the last failure) has said hello. */
  private greeted = false;
  private attempts = 0;
  /** The highest versions this connection has been sent: the floor of the next poll's cursor. */
  private received: Versions = zeroVersions();
  private receivedAt = 0;
  private readonly clock: Clock;
  private readonly timings: PollTimings;
  private readonly machine: LinkMachine<PollState>;
  /** The wait after a failed poll. */
  private readonly reconnect: Reconnector;
  /** A server that keeps answering with `reset` (a snapshot that failed): the first at once, repeats backed off. */
  private readonly resetBackoff: Backoff;

  protected readonly api: Api;

  constructor(private readonly opts: PollTransportOptions) {
    super();
    this.api = opts.api;
    this.clock = opts.clock ?? systemClock;
    this.timings = { ...POLL_TIMINGS, ...opts.timings };
    this.reconnect = new Reconnector(() => this.poll(), { clock: this.clock, random: opts.random, timings: opts.backoff });
    this.resetBackoff = new Backoff({ clock: this.clock, random: opts.random, timings: opts.backoff, immediateFirst: true });
    this.machine = new LinkMachine<PollState>({
      label: "poll",
      initial: { name: "idle" },
      transitions: POLL_TRANSITIONS,
      onTransition: opts.onTransition ?? null,
    });
  }

  private get state(): PollState {
    return this.machine.state;
  }

  get online(): boolean {
    return this.greeted && this.state.name !== "waiting" && this.state.name !== "idle";
  }

  connect(handlers: TransportHandlers): void {
    if (this.state.name !== "idle") return;
    this.handlers = handlers;
    this.greeted = false;
    this.reconnect.reset();
    this.resetBackoff.reset();
    this.poll();
  }

  wake(): void {
    const state = this.state;
    if (state.name === "waiting") this.reconnect.hurry();
    // A parked poll may hang on a link that died meanwhile (sleep, a new network): ask again now.
    else if (state.name === "polling" && this.clock.now() - state.startedAt > this.timings.wakeRestartMs) this.poll();
  }

  setHidden(hidden: boolean): void {
    this.reconnect.setHidden(hidden);
    this.resetBackoff.setHidden(hidden);
  }

  close(): void {
    this.detach();
    this.greeted = false;
    if (this.state.name !== "idle") this.to({ name: "idle" });
  }


  // ── the loop ───────────────────────────────────────────────────────────

  private poll(): void {
    const handlers = this.handlers;
    if (!handlers) return;
    const attempt = ++this.attempts;
    const wait = this.greeted ? this.timings.waitMs : 0;
    const controller = new AbortController();
    // Moves on by itself rather than trusting the request to fail once aborted: its late answer is then stale.
    const silentMs = wait + this.timings.timeoutSlackMs;
    const deadline = this.clock.setTimeout(() => {
      if (!this.isPolling(attempt)) return;
      recordDead(this.opts.log, this.name, silentMs);
      this.onFailure(attempt, NetworkError.timeout("Long-poll"));
    }, silentMs);
    this.to({ name: "polling", attempt, controller, deadline, wait, startedAt: this.clock.now() });
    if (!this.greeted) this.setStatus("connecting");
    const consumed = handlers.cursor();
    // A new connection, or an engine that never caught up with what came (dropped on the way): start from its versions.
    const stale = this.clock.now() - this.receivedAt > this.timings.receivedTrustMs && DOMAINS.some((d) => consumed[d] < this.received[d]);
    if (!this.greeted || stale) this.received = zeroVersions();
    const from = atLeast(consumed, this.received);
    const query = {
      device: this.opts.deviceId,
      cursor: formatCursor(from),
      // What is stored is acknowledged (delivered receipts), not merely what came.
      ...(DOMAINS.some((d) => from[d] !== consumed[d]) ? { ack: formatCursor(consumed) } : {}),
      wait,
    };
    this.opts.api.http
      .request("GET", POLL_PATH, {
        query,
        schema: pollAnswerSchema,
        signal: controller.signal,
        // Our own deadline above (injected clock) comes first; this one is a backstop.
        timeoutMs: wait + this.timings.timeoutSlackMs + 5_000,
      })
      .then(
        (answer) => this.onAnswer(attempt, answer),
        (error: unknown) => this.onFailure(attempt, error),
      );
  }

  private onAnswer(attempt: number, answer: PollAnswer): void {
    const state = this.state;
    if (!this.handlers || state.name !== "polling" || state.attempt !== attempt) return;
    if (!this.greeted) {
      this.greeted = true;
      this.setStatus("online");
      this.handlers.onHello(answer.hello);
      if (!this.isCurrent(attempt)) return; // the hello closed us (another account's session)
    }
    const entries = validEntries(answer.entries);
    const reset = answer.reset ?? [];
    const received = atLeast(this.received, highest(entries), parseCursor(answer.cursor) ?? zeroVersions());
    if (DOMAINS.some((d) => received[d] > this.received[d])) this.receivedAt = this.clock.now();
    this.received = received;
    // A domain reset starts again from the snapshot the engine takes.
    for (const d of reset) this.received[d] = 0;
    if (entries.length > 0) {
      this.handlers.onPush(entries);
      if (!this.isCurrent(attempt)) return;
    }
    // Someone typing answers a parked poll early: a real answer, not one to back off from.
    const typing = (answer.ephemeral ?? []).map(validTyping).filter((f) => f !== null);
    for (const frame of typing) this.handlers?.onTyping?.(frame);
    if (!this.isCurrent(attempt)) return;
    // The server ended this device's long-poll connection (too many connections): the sync client decides.
    const refusal = refusalOf(answer.close?.reason ?? null);
    if (refusal) return this.refused(attempt, refusal);
    if (reset.length > 0) return this.reset(attempt, reset);
    // An answer that needs nothing more: the link works.
    this.reconnect.reset();
    this.resetBackoff.reset();
    if (entries.length === 0 && typing.length === 0 && state.wait > 0 && this.clock.now() - state.startedAt < this.timings.quickEmptyMs) {
      // Not parked at all: something between us and the server answers early. Do not spin.
      return this.to({ name: "pausing", attempt, timer: this.clock.setTimeout(() => this.poll(), this.timings.quickEmptyMs) });
    }
    this.poll();
  }

  private reset(attempt: number, domains: Domain[]): void {
    this.to({ name: "resetting", attempt });
    const delay = this.resetBackoff.next();
    Promise.resolve()
      .then(() => this.handlers?.onReset?.(domains))
      .catch((error: unknown) => console.warn("courier: snapshot after a poll reset failed", error))
      .then(() => {
        if (!this.isCurrent(attempt)) return;
        if (delay === 0) return this.poll();
        this.to({ name: "pausing", attempt, timer: this.clock.setTimeout(() => this.poll(), delay) });
      });
  }

  /** Every failed poll ends here: offline, a new connection (and hello) after a backoff, never before Retry-After. */
  private onFailure(attempt: number, error: unknown): void {
    // Abandoned on purpose (close, wake): not a failure of the link.
    if (!this.isPolling(attempt)) return;
    const courier = error instanceof CourierError ? error : null;
    if (courier !== null && REFUSALS.has(courier.code)) return this.refused(attempt, courier.code, courier.retryAfterMs);
    this.retryLater(courier?.retryAfterMs, false);
  }

  /** The server said no in a way retrying will not fix by itself: tell the sync client, then retry patiently unless it closed us. */
  private refused(attempt: number, code: string, retryAfterMs?: number): void {
    this.handlers?.onRefused(code);
    if (!this.isPolling(attempt)) return; // the refusal closed us
    this.retryLater(retryAfterMs, true);
  }

  private retryLater(retryAfterMs: number | undefined, patient: boolean): void {
    this.greeted = false;
    this.to({ name: "waiting" });
    this.reconnect.afterFailure({ retryAfterMs, patient });
    this.setStatus("offline");
  }

  // ── state ──────────────────────────────────────────────────────────────

  private isCurrent(attempt: number): boolean {
    const state = this.state;
    return this.handlers !== null && "attempt" in state && state.attempt === attempt;
  }

  private isPolling(attempt: number): boolean {
    const state = this.state;
    return this.handlers !== null && state.name === "polling" && state.attempt === attempt;
  }

  /** Moves to `next`, releasing what the state being left held (a request in flight, timers). */
  private to(next: PollState): void {
    const previous = this.machine.to(next);
    switch (previous.name) {
      case "idle":
      case "resetting":
        break;
      case "polling":
        this.clock.clearTimeout(previous.deadline);
        previous.controller.abort(); // a no-op once answered
        break;
      case "pausing":
        this.clock.clearTimeout(previous.timer);
        break;
      case "waiting":
        this.reconnect.cancel();
        break;
      default:
        unreachable(previous);
    }
  }

}

/** Per domain, the highest of `versions`. */
function atLeast(...versions: Versions[]): Versions {
  const out = zeroVersions();
  for (const v of versions) for (const d of DOMAINS) out[d] = Math.max(out[d], v[d]);
  return out;
}

function highest(entries: readonly Entry[]): Versions {
  const versions = zeroVersions();
  for (const entry of entries) if (entry.v > versions[entry.d]) versions[entry.d] = entry.v;
  return versions;
}
