import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { ERROR_STATUS, TRANSPORTS, type TransportName } from "../../shared/protocol/index.js";
import type { PushFunnel } from "../push/funnel.js";
import type { DeliveryMetrics } from "../sync/delivery-metrics.js";
import type { WalHealth } from "../storage/sqlite/engine.js";
import type { Hub } from "../sync/hub.js";
import type { DeliveryEvents, DeviceRef } from "./events.js";

/**
 * Prometheus metrics of one app (`ctx.metrics`, `GET /metrics`;
 * docs/observability.md). Its own registry (tests build many apps in one
 * process); the process-wide default metrics (CPU, memory, event-loop lag)
 * live once per process and are added to the exposition.
 *
 * Three kinds of sources:
 *   - delivery events (`listener`, on `ctx.events`): counted and timed here;
 *   - counters other parts already keep (`DeliveryMetrics`, `PushFunnel`, the
 *     hub's connections): read at scrape time, never counted twice;
 *   - dependencies: database time (timed-storage.ts), a periodic Redis PING,
 *     and error responses by code (http/errors.ts).
 *
 * No label carries a user, device, conversation or message id.
 */

/** Histogram buckets, in seconds (spec: the same for every family, so the dashboard can compare them). */
export const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** How often the Redis link is PINGed for `courier_redis_seconds`. */
export const REDIS_PING_EVERY_MS = 10_000;

/** Bounds of what the compensation tracker remembers (first pushes not acked yet). */
export interface CompensationLimits {
  /** Devices remembered at most (least recently pushed/acked forgotten first). */
  devices: number;
  /** Unacked first pushes remembered per device (oldest forgotten first). */
  perDevice: number;
  /** Unacked first pushes remembered over all devices. */
  total: number;
}

/** At these bounds the tracker holds about 18 MB (measured: 100,000 pending pushes over 20,000 devices with UUID ids). */
export const COMPENSATION_LIMITS: CompensationLimits = { devices: 20_000, perDevice: 1_000, total: 100_000 };

/** What the scrape reads from other parts of the app. */
export interface MetricSources {
  delivery: DeliveryMetrics;
  pushFunnel: PushFunnel;
  hub: Pick<Hub, "countByTransport">;
  /** SQLite's write-ahead log (SqliteEngine.walHealth); absent on PostgreSQL, and then no courier_sqlite_* family exists. */
  wal?: () => WalHealth;
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;

/** One device as the listener remembers it: the transport of its last push here, and its first pushes not acked yet. */
interface DeviceTrack {
  transport: TransportName | null;
  /** `d:v` → first push time (ms) and whether a pull covered it since. */
  pending: Map<string, { at: number; pulled: boolean }>;
}

let processRegistry: Registry | null = null;

/** The default metrics of this process, once per process: they describe the process, not an app, and each collection starts monitors that are never stopped. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  /** The app's registry: every courier_* family (TRACE and the dashboard publisher register on it / read it). */
  readonly registry = new Registry();
  /** What `ctx.events.listen` takes. */
  readonly listener: Partial<DeliveryEvents>;

  private sources: MetricSources | null = null;
  private readonly devices = new Map<string, DeviceTrack>();
  private pendingTotal = 0;
  private redisTimer: NodeJS.Timeout | null = null;
  private redisPing: (() => Promise<number | null>) | null = null;

  private readonly messages: Counter;
  private readonly sendCommit: Histogram;
  private readonly pushedEntries: Counter<"transport">;
  private readonly pushTime: Histogram<"transport">;
  private readonly acked: Counter;
  private readonly delivery: Histogram<"transport">;
  private readonly compensated: Counter;
  private readonly compensationDelay: Histogram;
  private readonly retransmits: Counter;
  private readonly pulls: Counter;
  private readonly snapshots: Counter;
  private readonly resets: Counter;
  private readonly db: Histogram<"engine" | "op">;
  private readonly redis: Histogram<"op">;
  private readonly errors: Counter<"code">;
  private readonly clientRender: Histogram<"transport">;
  private readonly clientHolePulls: Counter;
  private readonly clientSwitches: Counter<"from" | "to">;
  private readonly clientOutbox: Histogram;

  constructor(private readonly limits: CompensationLimits = COMPENSATION_LIMITS) {
    const registers = [this.registry];
    const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = [], collect?: (c: Counter<L>) => void): Counter<L> => {
      const c: Counter<L> = new Counter<L>({ name, help, labelNames, registers, collect: collect && (() => collect(c)) });
      return c;
    };
    const histogram = <L extends string = never>(name: string, help: string, labelNames: L[] = []) => new Histogram<L>({ name, help, labelNames, buckets: BUCKETS, registers });
    /** A counter kept elsewhere, copied in at scrape time (its TYPE stays counter). */
    const copied = <L extends string>(name: string, help: string, labelNames: L[], read: (s: MetricSources) => [Partial<Record<L, string>>, number][]) =>
      counter(name, help, labelNames, (c) => {
        if (!this.sources) return;
        c.reset();
        for (const [labels, value] of read(this.sources)) c.inc(labels, value);
      });

    this.messages = counter("courier_messages_total", "Messages stored (sends committed) by this process.");
    this.sendCommit = histogram("courier_send_commit_seconds", "Send accepted by the server → message committed.");
    this.pushedEntries = counter("courier_entries_pushed_total", "Entries handed to live connections for the first time (one per entry and connection).", ["transport"]);
    this.pushTime = histogram("courier_push_seconds", "Entry committed → handed to a live connection, per entry and connection.", ["transport"]);
    this.acked = counter("courier_entries_acked_total", "Entries devices newly acked (one per device and entry; not what a new device acks after its snapshot).");
    this.delivery = histogram("courier_delivery_seconds", "Entry committed → acked, per device and entry; transport of the device's last push here, unknown when not pushed here.", ["transport"]);
    this.compensated = counter("courier_compensated_entries_total", "Entries a device acked only after a pull covered them, although they had been pushed to it.");
    this.compensationDelay = histogram("courier_compensation_delay_seconds", "First push → ack of a compensated entry.");
    this.retransmits = counter("courier_retransmits_total", "Entries re-pushed to live connections (retransmission).");
    this.pulls = counter("courier_sync_pulls_total", "Pulls that carried entries (socket pull and GET /api/sync/:d; SSE catch-up and long-poll answers are their transport's delivery, not pulls).");
    this.snapshots = counter("courier_sync_snapshots_total", "Snapshots taken.");
    this.resets = counter("courier_sync_resets_total", "Pulls answered with a reset (the asked range fell out of the log).");
    this.db = histogram("courier_db_seconds", "Database reads and write transactions, queueing included.", ["engine", "op"]);
    this.redis = histogram("courier_redis_seconds", "Redis round trips (a PING every 10 s while REDIS_URL is set and the link is up).", ["op"]);
    this.errors = counter("courier_errors_total", "Error responses by code (HTTP and socket acknowledgements).", ["code"]);
    this.clientRender = histogram("courier_client_render_seconds", "Web app: entry received → message painted on screen.", ["transport"]);
    this.clientHolePulls = counter("courier_client_hole_pulls_total", "Web app: pulls started because a version was missing.");
    this.clientSwitches = counter("courier_client_transport_switches_total", "Web app: transport changes.", ["from", "to"]);
    this.clientOutbox = histogram("courier_client_outbox_seconds", "Web app: time a message waited in the outbox before the server accepted it.");

    copied("courier_offline_handovers_total", "Devices handed to the offline channel (Web Push) with unacked pushes.", ["reason"], (s) =>
      Object.entries(s.delivery.handOversBy).map(([reason, n]) => [{ reason }, n]),
    );
    copied("courier_retransmit_rounds_total", "Retransmission rounds that re-pushed: acked in the end, or gave up.", ["outcome"], (s) => [
      [{ outcome: "acked" }, s.delivery.roundsAcked],
      [{ outcome: "gave_up" }, s.delivery.giveUps],
    ]);
    copied("courier_dead_connections_total", "Connections declared dead for lack of a sign of life.", ["transport"], (s) =>
      TRANSPORTS.map((transport) => [{ transport }, s.delivery.deadConnections[transport]]),
    );
    copied("courier_webpush_total", "Web Push funnel by category: requested, accepted, rejected, dropped, displayed, clicked.", ["category", "outcome"], (s) =>
      Object.entries(s.pushFunnel.snapshot().byCategory).flatMap(([category, funnel]) => Object.entries(funnel).map(([outcome, n]) => [{ category, outcome }, n] as [Record<"category" | "outcome", string>, number])),
    );
    const connections: Gauge<"transport"> = new Gauge({
      name: "courier_connections",
      help: "Live connections on this process by transport (a long-polling device counts once).",
      labelNames: ["transport"],
      registers,
      collect: () => {
        const counts = this.sources?.hub.countByTransport();
        if (counts) for (const transport of TRANSPORTS) connections.set({ transport }, counts[transport]);
      },
    });

    // Every series a dashboard rates exists from the start (at zero), not from its first event.
    for (const transport of TRANSPORTS) {
      this.pushedEntries.inc({ transport }, 0);
      for (const h of [this.pushTime, this.delivery, this.clientRender]) h.zero({ transport });
      connections.set({ transport }, 0);
    }
    this.delivery.zero({ transport: "unknown" });
    for (const from of TRANSPORTS) for (const to of TRANSPORTS) if (from !== to) this.clientSwitches.inc({ from, to }, 0);
    for (const code of Object.keys(ERROR_STATUS)) this.errors.inc({ code }, 0);

    this.listener = this.makeListener();
  }

  /** The parts whose own counters the scrape reads (built after the metrics). */
  readFrom(sources: MetricSources): void {
    this.sources = sources;
    if (sources.wal) this.walFamilies(sources.wal);
  }

  /** The courier_sqlite_* families, read from the engine at scrape time (docs/observability.md). */
  private walFamilies(read: () => WalHealth): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, value: (w: WalHealth) => number) =>
      new Gauge({ name, help, registers, collect() { this.set(value(read())); } });
    const counter = <L extends string = never>(name: string, help: string, labelNames: L[], values: (w: WalHealth) => [Partial<Record<L, string>>, number][]) =>
      new Counter<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const [labels, n] of values(read())) this.inc(labels, n);
        },
      });
    gauge("courier_sqlite_wal_pages", "Pages (4 KiB) in SQLite's write-ahead log at its last checkpoint.", (w) => w.walPages);
    counter("courier_sqlite_checkpoints_total", "WAL checkpoints run on the checkpoint thread, by outcome.", ["outcome"], (w) => [
      [{ outcome: "ok" }, w.checkpoints],
      [{ outcome: "failed" }, w.checkpointFailures],
    ]);
    counter("courier_sqlite_wal_restarts_total", "Times the WAL was copied out in full so that the next write starts it over from its first page.", [], (w) => [[{}, w.restarts]]);
    counter("courier_sqlite_write_holds_total", "Times writes were held for a checkpoint that lets the WAL start over.", [], (w) => [[{}, w.writeHolds]]);
    counter("courier_sqlite_writes_held_seconds_total", "Time writes were held for those checkpoints, in all.", [], (w) => [[{}, seconds(w.writesHeldMs)]]);
  }

  /** An error response (HTTP or a socket acknowledgement) with this code. */
  error(code: string): void {
    this.errors.inc({ code });
  }

  /** A database read or write took `ms`. */
  dbTime(engine: string, op: "read" | "write", ms: number): void {
    this.db.observe({ engine, op }, seconds(ms));
  }

  /** PINGs Redis every REDIS_PING_EVERY_MS through `ping` (RedisLink.ping: round trip in ms, null when down). */
  watchRedis(ping: () => Promise<number | null>, everyMs = REDIS_PING_EVERY_MS): void {
    this.redis.zero({ op: "ping" });
    this.redisPing = ping;
    this.redisTimer = setInterval(() => void this.pingRedis(), everyMs);
    this.redisTimer.unref();
  }

  /** One PING (the timer's work; tests call it). A link that is down is not a latency: nothing observed. */
  async pingRedis(): Promise<void> {
    const ms = this.redisPing ? await this.redisPing().catch(() => null) : null;
    if (ms !== null) this.redis.observe({ op: "ping" }, seconds(ms));
  }

  /** The exposition: the app's families and the process's default ones. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    const merged = Registry.merge([this.registry, processMetrics()]);
    return { contentType: merged.contentType, text: await merged.metrics() };
  }

  close(): void {
    if (this.redisTimer) clearInterval(this.redisTimer);
    this.redisTimer = null;
  }

  private makeListener(): Partial<DeliveryEvents> {
    return {
      stored: (e) => {
        this.messages.inc();
        this.sendCommit.observe(seconds(e.at - e.acceptedAt));
      },
      pushed: (device, entries, retransmit, at) => {
        if (retransmit) {
          this.retransmits.inc(entries.length);
          return;
        }
        const { transport } = device;
        this.pushedEntries.inc({ transport }, entries.length);
        for (const e of entries) this.pushTime.observe({ transport }, seconds(at - e.at));
        const track = this.track(device, true)!;
        track.transport = transport;
        for (const e of entries) {
          const key = `${e.d}:${e.v}`;
          if (track.pending.has(key)) continue;
          track.pending.set(key, { at, pulled: false });
          this.pendingTotal++;
        }
        this.trim(track);
      },
      pulled: (userId, deviceId, entries) => {
        this.pulls.inc();
        if (deviceId === null) return;
        const pending = this.devices.get(keyOf(userId, deviceId))?.pending;
        if (!pending?.size) return;
        for (const e of entries) {
          const first = pending.get(`${e.d}:${e.v}`);
          if (first) first.pulled = true;
        }
      },
      resynced: (_userId, kind) => {
        (kind === "snapshot" ? this.snapshots : this.resets).inc();
      },
      acked: (device, entries, at) => {
        const track = this.track(device, false);
        const transport = track?.transport ?? device.transport ?? "unknown";
        for (const e of entries) {
          // A new device's first ack covers what its snapshot brought: never delivered, so not a delivery.
          if (e.catchUp) continue;
          this.acked.inc();
          this.delivery.observe({ transport }, seconds(at - e.at));
          const first = track?.pending.get(`${e.d}:${e.v}`);
          if (first?.pulled) {
            this.compensated.inc();
            this.compensationDelay.observe(seconds(at - first.at));
          }
        }
        if (track) this.forgetAcked(track, entries);
      },
      client: (_userId, report) => {
        const transport = report.transport ?? "unknown";
        for (const ms of report.renderMs) this.clientRender.observe({ transport }, seconds(ms));
        this.clientHolePulls.inc(report.holePulls);
        for (const { from, to } of report.switches) this.clientSwitches.inc({ from, to });
        for (const ms of report.outboxMs) this.clientOutbox.observe(seconds(ms));
      },
    };
  }

  /** The device's track, most recently used last; created when `create`, evicting the least recently used over the limits. */
  private track(device: DeviceRef, create: boolean): DeviceTrack | undefined {
    const key = keyOf(device.userId, device.deviceId);
    let track = this.devices.get(key);
    if (track) this.devices.delete(key);
    else if (create) track = { transport: null, pending: new Map() };
    if (!track) return undefined;
    this.devices.set(key, track);
    while (this.devices.size > this.limits.devices) this.evictOldest();
    return track;
  }

  private evictOldest(): void {
    const [key, track] = this.devices.entries().next().value!;
    this.pendingTotal -= track.pending.size;
    this.devices.delete(key);
  }

  /** Keeps a device's pending pushes and all of them within their limits (oldest pushes, then least recently used devices, go first). */
  private trim(track: DeviceTrack): void {
    for (const key of track.pending.keys()) {
      if (track.pending.size <= this.limits.perDevice) break;
      track.pending.delete(key);
      this.pendingTotal--;
    }
    while (this.pendingTotal > this.limits.total && this.devices.size > 1) this.evictOldest();
  }

  /** Acks are cumulative: everything pending at or below the highest acked version of a domain is done. */
  private forgetAcked(track: DeviceTrack, entries: readonly { d: string; v: number }[]): void {
    const upTo = new Map<string, number>();
    for (const e of entries) upTo.set(e.d, Math.max(upTo.get(e.d) ?? 0, e.v));
    if (upTo.size === 0) return;
    for (const key of track.pending.keys()) {
      const [d, v] = key.split(":") as [string, string];
      if (Number(v) <= (upTo.get(d) ?? 0)) {
        track.pending.delete(key);
        this.pendingTotal--;
      }
    }
  }
}

function keyOf(userId: string, deviceId: string): string {
  return `${userId}/${deviceId}`;
}
