import { DOMAINS, type Entry, PULL_LIMIT_MAX, type Versions, zeroVersions } from "../../shared/protocol/index.js";
import { type DeliveryEvents, type SeqRange, seqRanges } from "../observability/events.js";
import type { SyncReader } from "./log.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import type { CloseReason, Connection, Hub, HubObserver } from "./hub.js";
import type { HandOverReason, OfflineChannel } from "./offline-channel.js";

/** The retransmission schedule (`RETRY_*` settings). */
/**
 * An ack from a device known not to declare `ack` re-reads its capabilities
 * at most this often: old clients ack all the time, and a registration that
 * reached this process says so at once (`registered`).
 */
const LOOKUP_AGAIN_MS = 60_000;

export interface RetrySchedule {
  baseMs: number;
  stepMs: number;
  maxMs: number;
  /** A round that has not seen its pushes acked after this long gives up. */
  lifetimeMs: number;
}

/** Tries at `baseMs` before the delay grows by `stepMs` per try. */
export const BASE_TRIES = 3;
/** Entries re-pushed per domain in one try, at most; a client that consumes them pulls the rest. */
export const REPUSH_PAGE_MAX = PULL_LIMIT_MAX;

/** The delay before try `step` (0-based): base for BASE_TRIES tries, then + stepMs each, capped at maxMs. */
export function retryDelay(s: RetrySchedule, step: number): number {
  if (step < BASE_TRIES) return s.baseMs;
  return Math.min(s.baseMs + (step - BASE_TRIES + 1) * s.stepMs, s.maxMs);
}

/** The first step whose delay is the longest of the schedule; later steps repeat it. */
export function lastStep(s: RetrySchedule): number {
  if (s.stepMs === 0 || s.maxMs <= s.baseMs) return 0;
  return BASE_TRIES - 1 + Math.ceil((s.maxMs - s.baseMs) / s.stepMs);
}

/** The smallest step whose delay is at least `observedMs` (the longest step if none is). */
export function stepFor(s: RetrySchedule, observedMs: number): number {
  if (observedMs <= s.baseMs) return 0;
  const last = lastStep(s);
  for (let step = BASE_TRIES; step < last; step++) if (retryDelay(s, step) >= observedMs) return step;
  return last;
}

export interface RetransmitterDeps {
  storage: Pick<SyncReader, "getDevice" | "deviceAcks" | "pull">;
  hub: Pick<Hub, "connectionsOfDevice">;
  /** A getter: the channel may be installed after the retransmitter is built. */
  offline: () => OfflineChannel;
  metrics: DeliveryMetrics;
  schedule: RetrySchedule;
  /** Epoch ms; timers are the global ones (tests fake both). */
  clock: () => number;
  log: { warn(obj: object, msg: string): void };
  /** Told of re-pushes and hand-overs (docs/observability.md); none in unit tests that don't look. */
  events?: Pick<DeliveryEvents, "pushed" | "handedOver">;
}

/** One wait for acks: armed after a push, re-armed after each re-push, ended by an ack, a give-up or the device leaving. */
interface Round {
  /** What had been pushed when the round was (re-)armed: the versions it waits to see acked. */
  due: Versions;
  /** When the round began: the base of the observed ack time and of the lifetime. */
  since: number;
  step: number;
  /** null while a try is reading storage. */
  timer: NodeJS.Timeout | null;
  /** A try re-pushed something (an ack then counts as `roundsAcked`). */
  repushed: boolean;
}

interface DeviceState {
  readonly key: string;
  readonly userId: string;
  readonly deviceId: string;
  /** Whether the device declared the `ack` capability; null until looked up. */
  acks: boolean | null;
  lookingUp: boolean;
  /** When the capabilities were last read (clock ms); see LOOKUP_AGAIN_MS. */
  lookedUpAt: number;
  /** Highest version per domain the hub pushed to the device here. */
  pushed: Versions;
  /** Highest version per domain known to be acked (this process's acks, and storage at each try). */
  acked: Versions;
  /** Where the next round starts: the step that last saw its pushes acked in time. */
  startStep: number;
  round: Round | null;
  /** The last round gave up; nothing more is retried until the device acks again. */
  gaveUp: boolean;
}

const retriable = (conn: Connection) => conn.transport === "ws" || conn.transport === "sse";
const covers = (acked: Versions, wanted: Versions) => DOMAINS.every((d) => acked[d] >= wanted[d]);

/** Raises `into` to `from` per domain; returns whether anything rose. */
function raise(into: Versions, from: Partial<Versions>): boolean {
  let rose = false;
  for (const d of DOMAINS) {
    const v = from[d];
    if (v !== undefined && v > into[d]) {
      into[d] = v;
      rose = true;
    }
  }
  return rose;
}

/**
 * Ack + retransmission for devices live on WebSocket or SSE in this process
 * (docs/delivery.md). Fed by the hub (`HubObserver`: connections added and
 * removed, entries pushed) and by `acked()` from the ack service.
 *
 *   idle ──push──▶ round: timer at the device's start step
 *     ▲              │ fire: re-read acks from storage
 *     │              ├─ due acked ─────▶ learn the step, idle (or a new round for newer pushes)
 *     │              ├─ lifetime over ─▶ give up: count, warn, hand over ("gave_up")
 *     │              └─ else ──────────▶ re-push (acked, pushed] from storage, next step
 *     └──── an ack covering `due` at any time ends the round the same way
 *
 * The last ws/sse connection of the device here closing by itself ends
 * everything and, if pushes were unacked, hands the device over
 * ("disconnected"). State lives only while the device has such a connection.
 * Long-poll devices are never tracked: their next poll is the ack.
 */
export class Retransmitter implements HubObserver {
  private readonly devices = new Map<string, DeviceState>();
  private closed = false;

  constructor(private readonly deps: RetransmitterDeps) {}

  /** Devices currently tracked (live on ws/sse here); for tests and metrics. */
  get size(): number {
    return this.devices.size;
  }

  /** Devices waiting for acks right now. */
  get waiting(): number {
    let n = 0;
    for (const dev of this.devices.values()) if (dev.round) n++;
    return n;
  }

  added(conn: Connection): void {
    if (this.closed || !retriable(conn)) return;
    const key = keyOf(conn.userId, conn.deviceId);
    if (this.devices.has(key)) return;
    const dev: DeviceState = {
      key,
      userId: conn.userId,
      deviceId: conn.deviceId,
      acks: null,
      lookingUp: false,
      lookedUpAt: Number.NEGATIVE_INFINITY,
      pushed: zeroVersions(),
      acked: zeroVersions(),
      startStep: 0,
      round: null,
      gaveUp: false,
    };
    this.devices.set(key, dev);
    this.lookUp(dev);
  }

  pushed(conn: Connection, entries: Entry[]): void {
    if (!retriable(conn)) return;
    const m = this.deps.metrics;
    m.pushes++;
    m.entriesPushed += entries.length;
    const dev = this.devices.get(keyOf(conn.userId, conn.deviceId));
    if (!dev) return;
    for (const e of entries) if (e.v > dev.pushed[e.d]) dev.pushed[e.d] = e.v;
    if (dev.acks) this.arm(dev);
  }

  removed(conn: Connection, reason: CloseReason | null): void {
    if (!retriable(conn)) return;
    const dev = this.devices.get(keyOf(conn.userId, conn.deviceId));
    if (!dev || this.liveHere(dev)) return;
    this.forget(dev);
    // Logout, device removal and shutdown are not a device going missing; a connection found dead is.
    if ((reason !== null && reason !== "dead") || !dev.acks || dev.gaveUp || covers(dev.acked, dev.pushed)) return;
    void this.handOverIfUnacked(dev);
  }

  /** The device's acked versions after an ack (HTTP, socket or poll) applied in this process. */
  acked(userId: string, deviceId: string, acks: Versions): void {
    const dev = this.devices.get(keyOf(userId, deviceId));
    if (dev) this.raiseAcked(dev, acks);
  }

  /**
   * An ack as the device sent it, before it is written (the ack queue may
   * hold it a while when the database is behind, sync/ack-queue.ts): what it
   * covers of what was pushed here has arrived, so no round re-pushes it
   * meanwhile — re-pushing then would add reads and frames exactly when the
   * server is behind. Bounded by what was pushed here (a device cannot vouch
   * for more); the written ack follows with `acked`.
   */
  received(userId: string, deviceId: string, acks: Partial<Versions>): void {
    const dev = this.devices.get(keyOf(userId, deviceId));
    if (!dev) return;
    const bounded: Partial<Versions> = {};
    for (const d of DOMAINS) {
      const v = acks[d];
      if (v !== undefined) bounded[d] = Math.min(v, dev.pushed[d]);
    }
    this.raiseAcked(dev, bounded);
  }

  private raiseAcked(dev: DeviceState, acks: Partial<Versions>): void {
    const rose = raise(dev.acked, acks);
    if (rose) dev.gaveUp = false;
    // Registration usually tells us (`registered`), but it may have reached another process.
    if (dev.acks === false && this.deps.clock() - dev.lookedUpAt >= LOOKUP_AGAIN_MS) this.lookUp(dev);
    const round = dev.round;
    if (round && covers(dev.acked, round.due)) this.succeed(dev, round);
    else if (!round && dev.acks) this.arm(dev);
  }

  /**
   * The device registered (`PUT /api/devices/:id`), which the web app does
   * beside connecting: its capabilities may have changed since its
   * connection was looked up.
   */
  registered(userId: string, deviceId: string, capabilities: readonly string[]): void {
    const dev = this.devices.get(keyOf(userId, deviceId));
    if (!dev) return;
    dev.acks = capabilities.includes("ack");
    if (dev.acks) this.arm(dev);
  }

  /** Stops every timer; nothing is retried or handed over afterwards (shutdown). */
  close(): void {
    this.closed = true;
    for (const dev of this.devices.values()) this.forget(dev);
  }

  private lookUp(dev: DeviceState): void {
    if (dev.lookingUp) return;
    dev.lookingUp = true;
    dev.lookedUpAt = this.deps.clock();
    this.deps.storage.getDevice(dev.deviceId).then(
      (stored) => {
        dev.lookingUp = false;
        if (this.devices.get(dev.key) !== dev) return;
        dev.acks = stored?.userId === dev.userId && stored.capabilities.includes("ack");
        if (dev.acks) this.arm(dev);
      },
      (err: unknown) => {
        dev.lookingUp = false;
        if (dev.acks === null) dev.acks = false;
        this.deps.log.warn({ err, deviceId: dev.deviceId }, "device capability lookup failed");
      },
    );
  }

  /** Starts a round if something pushed is unacked and none runs. */
  private arm(dev: DeviceState): void {
    if (dev.round || dev.gaveUp || covers(dev.acked, dev.pushed)) return;
    const round: Round = { due: { ...dev.pushed }, since: this.deps.clock(), step: dev.startStep, timer: null, repushed: false };
    dev.round = round;
    this.schedule(dev, round);
  }

  private schedule(dev: DeviceState, round: Round): void {
    const { schedule, clock } = this.deps;
    const untilLifetime = round.since + schedule.lifetimeMs - clock();
    const delay = Math.max(0, Math.min(retryDelay(schedule, round.step), untilLifetime));
    round.timer = setTimeout(() => void this.fire(dev, round), delay);
    round.timer.unref();
  }

  private current(dev: DeviceState, round: Round): boolean {
    return !this.closed && this.devices.get(dev.key) === dev && dev.round === round;
  }

  private async fire(dev: DeviceState, round: Round): Promise<void> {
    round.timer = null;
    // An ack that reached another process counts too.
    raise(dev.acked, await this.storedAcks(dev));
    if (!this.current(dev, round)) return;
    if (covers(dev.acked, round.due)) return this.succeed(dev, round);
    if (this.deps.clock() - round.since >= this.deps.schedule.lifetimeMs) return this.giveUp(dev, round);
    if (await this.repush(dev)) round.repushed = true;
    if (!this.current(dev, round)) return;
    round.due = { ...dev.pushed };
    round.step++;
    this.schedule(dev, round);
  }

  /** The awaited pushes were acked: remember how long that took, then wait for anything newer. */
  private succeed(dev: DeviceState, round: Round): void {
    if (round.timer) clearTimeout(round.timer);
    dev.round = null;
    if (round.repushed) this.deps.metrics.roundsAcked++;
    dev.startStep = stepFor(this.deps.schedule, this.deps.clock() - round.since);
    this.arm(dev);
  }

  private giveUp(dev: DeviceState, round: Round): void {
    dev.round = null;
    dev.gaveUp = true;
    this.deps.metrics.giveUps++;
    const unacked = Object.fromEntries(DOMAINS.map((d) => [d, Math.max(0, dev.pushed[d] - dev.acked[d])]));
    this.deps.log.warn(
      { userId: dev.userId, deviceId: dev.deviceId, unacked, lifetimeMs: this.deps.schedule.lifetimeMs, tries: round.step + 1 },
      "retransmission gave up: the device did not ack its pushes",
    );
    this.handOver(dev, "gave_up");
  }

  /** Re-pushes (acked, pushed] per domain, read from storage, to the device's live ws/sse connections; whether anything went out. */
  private async repush(dev: DeviceState): Promise<boolean> {
    let sent = 0;
    for (const d of DOMAINS) {
      const after = dev.acked[d];
      const upTo = dev.pushed[d];
      if (upTo <= after) continue;
      let entries: Entry[];
      try {
        const page = await this.deps.storage.pull(dev.userId, d, after, Math.min(upTo - after, REPUSH_PAGE_MAX));
        // Fallen out of the ring: the client's own pull finds the reset.
        if (page.reset) continue;
        entries = page.entries;
      } catch (err) {
        this.deps.log.warn({ err, deviceId: dev.deviceId }, "retransmission read failed");
        continue;
      }
      if (entries.length === 0 || this.closed || this.devices.get(dev.key) !== dev) continue;
      for (const conn of this.deps.hub.connectionsOfDevice(dev.userId, dev.deviceId)) {
        if (!retriable(conn) || !conn.repush) continue;
        try {
          const n = conn.repush(entries);
          sent += n;
          if (n > 0) {
            const device = { userId: dev.userId, deviceId: dev.deviceId, transport: conn.transport, connectionId: conn.id };
            this.deps.events?.pushed(device, entries, true, this.deps.clock());
          }
        } catch (err) {
          this.deps.log.warn({ err, connection: conn.id }, "re-push failed");
        }
      }
    }
    if (sent === 0) return false;
    this.deps.metrics.retries++;
    this.deps.metrics.entriesRepushed += sent;
    return true;
  }

  private async handOverIfUnacked(dev: DeviceState): Promise<void> {
    raise(dev.acked, await this.storedAcks(dev));
    // Back already (a reconnect): its hello and pull bring what it lacks.
    if (this.closed || this.devices.has(dev.key) || covers(dev.acked, dev.pushed)) return;
    this.handOver(dev, "disconnected");
  }

  private handOver(dev: DeviceState, reason: HandOverReason): void {
    this.deps.metrics.handedOver(reason);
    if (this.deps.events) void this.tellHandOver(dev, reason, { ...dev.acked }, { ...dev.pushed }, this.deps.clock());
    try {
      this.deps.offline().handOver(dev.userId, dev.deviceId, reason);
    } catch (err) {
      this.deps.log.warn({ err, deviceId: dev.deviceId }, "offline hand-over failed");
    }
  }

  /** The hand-over's event, with the messages the device had not acked (chat (acked, pushed], read back; none if that fails). */
  private async tellHandOver(dev: DeviceState, reason: HandOverReason, acked: Versions, pushed: Versions, at: number): Promise<void> {
    let messages: SeqRange[] = [];
    if (pushed.chat > acked.chat) {
      try {
        const page = await this.deps.storage.pull(dev.userId, "chat", acked.chat, Math.min(pushed.chat - acked.chat, REPUSH_PAGE_MAX));
        messages = seqRanges(page.entries);
      } catch (err) {
        this.deps.log.warn({ err, deviceId: dev.deviceId }, "reading a hand-over's messages failed");
      }
    }
    this.deps.events?.handedOver({ userId: dev.userId, deviceId: dev.deviceId }, reason, messages, at);
  }

  private async storedAcks(dev: DeviceState): Promise<Versions> {
    try {
      return await this.deps.storage.deviceAcks(dev.userId, dev.deviceId);
    } catch (err) {
      this.deps.log.warn({ err, deviceId: dev.deviceId }, "reading acks failed");
      return zeroVersions();
    }
  }

  private liveHere(dev: DeviceState): boolean {
    return this.deps.hub.connectionsOfDevice(dev.userId, dev.deviceId).some(retriable);
  }

  private forget(dev: DeviceState): void {
    if (dev.round?.timer) clearTimeout(dev.round.timer);
    dev.round = null;
    this.devices.delete(dev.key);
  }
}

function keyOf(userId: string, deviceId: string): string {
  return `${userId}/${deviceId}`;
}
