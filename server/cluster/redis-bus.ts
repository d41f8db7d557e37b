import { type EphemeralFrame, type Entry, ephemeralFrameSchema } from "../../shared/protocol/index.js";
import type { Appended } from "../storage/storage.js";
import type { BusListener, CloseReason, ConnectionMatch, FanoutBus } from "../sync/hub.js";
import type { RedisLink } from "./redis-link.js";

/**
 * Committed entries between processes (docs/cluster.md): per-user channels
 * (which also carry a device's heartbeat to the process holding its stream)
 * on sharded pub/sub. A process publishes each committed batch to
 * `u:{<userId>}` (one pipelined SPUBLISH per recipient) and subscribes to
 * the channels of the users it holds connections of. Its own connections
 * get the batch directly, before Redis is involved; a message coming back
 * from Redis with our node id is ignored.
 *
 * Redis carries notifications only: anything lost (Redis down, a process
 * cut off, a subscriber that went deaf) is healed from the database by
 * `heal` (cluster/healer.ts), which the bus asks for when
 *   - its subscriptions are (re)made after the link comes up,
 *   - another process says it could not publish for a while (`heal` on the
 *     control channel, sent when that process's link comes back),
 *   - and on a timer while the link is down (the healer's own).
 *
 * A probe guards against the known failure of pub/sub: both sockets open,
 * nothing arriving. Every PROBE_MS the process publishes to its own probe
 * channel; not hearing itself for two periods reports the link deaf (down),
 * which reconnects the subscriber.
 */
export const PROBE_MS = 2000;
const CONTROL = "courier:ctl";

type Control = { n: string; t: "close"; m: ConnectionMatch; r: CloseReason } | { n: string; t: "heal" } | { n: string; t: "alive"; ask?: boolean };

/** A process not heard from for this many probe periods is taken for dead (its presence no longer counts). */
const NODE_SILENT_PERIODS = 3;

const userChannel = (userId: string) => `u:{${userId}}`;
const USER_CHANNEL = /^u:\{(.+)\}$/;

export interface RedisBusOptions {
  /** Asked to re-read the database for every live connection here. */
  heal: (why: string) => void;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  probeMs?: number;
}

export class RedisBus implements FanoutBus {
  private listener: BusListener | null = null;
  /** Users with connections here: their channels are subscribed whenever the link is up. */
  private readonly watched = new Map<string, Promise<void>>();
  private readonly probeChannel: string;
  private probeTimer: NodeJS.Timeout | null = null;
  private lastHeard = 0;
  private probesSince = 0;
  /** A publish failed since the link was last up: the others may have missed entries. */
  private missed = false;
  private readonly probeMs: number;
  /** Other processes, by node id: when each last said it was alive (on the control channel, every probe). */
  private readonly nodes = new Map<string, number>();
  /** When the subscriptions were last made: before a few probe periods have passed, an unheard process gets the benefit of the doubt. */
  private listeningSince = 0;
  /** Processes taken for dead (silent past the window): healed for once, forgotten if they speak again. */
  private readonly silent = new Set<string>();
  private everUp = false;

  constructor(
    private readonly link: RedisLink,
    private readonly opts: RedisBusOptions,
  ) {
    this.probeMs = opts.probeMs ?? PROBE_MS;
    this.probeChannel = `probe:{${link.nodeId}}`;
    link.subscriber.on("smessage", (channel: string, message: string) => this.received(channel, message));
    link.onUp(() => void this.resubscribe());
    link.onDown(() => {
      // Subscriptions die with the socket; they are made again on up.
      for (const userId of this.watched.keys()) this.watched.set(userId, Promise.resolve());
    });
  }

  attach(listener: BusListener): void {
    this.listener = listener;
  }

  start(): void {
    this.probeTimer ??= setInterval(() => this.probe(), this.probeMs);
    this.probeTimer.unref();
  }

  stop(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  publish(appended: Appended): void {
    this.listener?.deliver(appended);
    if (!this.link.up) {
      this.missed = true;
      return;
    }
    const batch = this.link.command.pipeline();
    for (const { userId, entries } of appended) batch.spublish(userChannel(userId), JSON.stringify({ n: this.link.nodeId, e: entries }));
    batch.exec().then(
      (results) => {
        if (results?.some(([err]) => err)) this.missed = true;
      },
      () => (this.missed = true),
    );
  }

  closeEverywhere(match: ConnectionMatch, reason: CloseReason): void {
    // Sent even when this process thinks the link is down would fail at once; the session watch covers outages.
    this.control({ n: this.link.nodeId, t: "close", m: match, r: reason });
  }

  relayPing(userId: string, deviceId: string, echo: string | undefined): void {
    // On the user's channel: only the processes holding the user's connections hear it.
    if (!this.link.up) return;
    const ping = { d: deviceId, ...(echo === undefined ? {} : { e: echo }) };
    this.link.command.spublish(userChannel(userId), JSON.stringify({ n: this.link.nodeId, ping })).catch(() => {});
  }

  /**
   * Typing and the like (server/presence/): delivered here, and published on
   * each user's channel as `{n, x: frame}` (a message type of its own, next
   * to entries `e` and heartbeats `ping`), so only processes holding that
   * user's connections hear it. Ephemeral: lost while the link is down,
   * never healed.
   */
  ephemeral(userIds: readonly string[], frame: EphemeralFrame): void {
    this.listener?.ephemeral(userIds, frame);
    if (!this.link.up) return;
    const batch = this.link.command.pipeline();
    const message = JSON.stringify({ n: this.link.nodeId, x: frame });
    for (const userId of userIds) batch.spublish(userChannel(userId), message);
    batch.exec().catch(() => {});
  }

  /** Resolves when the user's channel is subscribed (or at once while the link is down: healing covers that). */
  watch(userId: string): Promise<void> {
    let ready = this.watched.get(userId);
    if (!ready) {
      ready = this.link.up ? this.subscribe([userChannel(userId)]) : Promise.resolve();
      this.watched.set(userId, ready);
    }
    return ready;
  }

  unwatch(userId: string): void {
    if (!this.watched.delete(userId) || !this.link.up) return;
    this.link.subscriber.sunsubscribe(userChannel(userId)).catch(() => {});
  }

  private control(message: Control): void {
    if (!this.link.up) return;
    this.link.command.spublish(CONTROL, JSON.stringify(message)).catch(() => {});
  }

  private subscribe(channels: string[]): Promise<void> {
    return this.link.subscriber.ssubscribe(...channels).then(
      () => undefined,
      (err: unknown) => this.opts.log.warn({ err }, "redis subscribe failed; healing covers what it misses"),
    );
  }

  /** After every (re)connect: all channels again, then heal what was missed meanwhile. */
  private async resubscribe(): Promise<void> {
    const users = [...this.watched.keys()];
    // One channel per call: on a Redis Cluster each may live on another shard.
    const all = Promise.all([this.subscribe([CONTROL]), this.subscribe([this.probeChannel])]);
    const perUser = users.map((userId) => {
      const ready = this.subscribe([userChannel(userId)]);
      this.watched.set(userId, ready);
      return ready;
    });
    await Promise.all([all, ...perUser]);
    this.lastHeard = Date.now();
    this.listeningSince = Date.now();
    this.probesSince = 0;
    // Say we are here, and ask the others to say so at once (presence counts only processes heard from).
    this.control({ n: this.link.nodeId, t: "alive", ask: true });
    if (this.missed || !this.everUp) {
      this.missed = false;
      // Our own publishes failed while we were away, or this process just started (its previous run may
      // have died between a commit and its publish): tell the others to heal too.
      this.control({ n: this.link.nodeId, t: "heal" });
    }
    this.everUp = true;
    this.opts.heal("redis link up");
  }

  private received(channel: string, message: string): void {
    if (channel === this.probeChannel) {
      this.lastHeard = Date.now();
      this.probesSince = 0;
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      this.opts.log.warn({ channel }, "ignored a malformed cluster message");
      return;
    }
    if (typeof parsed !== "object" || parsed === null) return;
    const msg = parsed as { n?: unknown; e?: unknown; t?: unknown; ping?: unknown; x?: unknown };
    if (msg.n === this.link.nodeId) return;
    if (channel === CONTROL) return this.onControl(msg as Control);
    const userId = USER_CHANNEL.exec(channel)?.[1];
    if (!userId) return;
    if (typeof msg.ping === "object" && msg.ping !== null) {
      const { d, e } = msg.ping as { d?: unknown; e?: unknown };
      if (typeof d === "string") this.listener?.ping(userId, d, typeof e === "string" ? e.slice(0, 64) : undefined);
      return;
    }
    if (msg.x !== undefined) {
      const frame = ephemeralFrameSchema.safeParse(msg.x);
      if (frame.success) this.listener?.ephemeral([userId], frame.data);
      return;
    }
    if (!Array.isArray(msg.e) || msg.e.length === 0) return;
    this.listener?.deliver([{ userId, entries: msg.e as Entry[] }]);
  }

  /**
   * Whether the process `nodeId` spoke within the last few probe periods.
   * A process killed without a word stops speaking, so its presence stops
   * counting within seconds rather than at its entries' expiry.
   */
  nodeAlive(nodeId: string): boolean {
    if (nodeId === this.link.nodeId) return true;
    const heard = this.nodes.get(nodeId);
    const window = NODE_SILENT_PERIODS * this.probeMs;
    if (heard === undefined) return Date.now() - this.listeningSince < window;
    return Date.now() - heard <= window;
  }

  private onControl(msg: Control): void {
    if (typeof msg.n === "string") {
      this.nodes.set(msg.n, Date.now());
      this.silent.delete(msg.n);
    }
    if (msg.t === "alive") {
      if (msg.ask === true) this.control({ n: this.link.nodeId, t: "alive" });
      return;
    }
    if (msg.t === "heal") return this.opts.heal("another process could not publish");
    if (msg.t === "close" && typeof msg.m === "object" && msg.m !== null && typeof msg.r === "string") this.listener?.closeMatching(msg.m, msg.r);
  }

  private probe(): void {
    if (!this.link.up) return;
    if (this.probesSince >= 2 && Date.now() - this.lastHeard > 2 * this.probeMs) {
      this.link.reportDeaf();
      return;
    }
    this.probesSince++;
    this.link.command.spublish(this.probeChannel, "1").catch(() => {});
    this.control({ n: this.link.nodeId, t: "alive" });
    const now = Date.now();
    for (const [node, heard] of this.nodes) {
      // Forget processes long gone (a restart gets a new node id).
      if (now - heard > 100 * this.probeMs) this.nodes.delete(node);
      else if (now - heard > NODE_SILENT_PERIODS * this.probeMs && !this.silent.has(node)) {
        // It may have died between a commit and its publish: what it committed is in the database.
        this.silent.add(node);
        this.opts.heal("another process went silent");
      }
    }
  }
}
