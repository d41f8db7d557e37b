import { randomUUID } from "node:crypto";
import type https from "node:https";
import webpush from "web-push";
import {
  type Domain,
  type Entry,
  isKind,
  type Offer,
  type Order,
  type PushCategory,
  type PushPayload,
  recallNotice,
  type User,
  hiddenNotice,
} from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_SUBJECT, type PushConfig } from "../config.js";
import type { Presence } from "../cluster/presence.js";
import { type DeliveryEvents, type DeviceRef, rangesOf, type SeqRange } from "../observability/events.js";
import type { RedisLink } from "../cluster/redis-link.js";
import type { PushConversation, PushTarget, VapidKeys } from "../storage/push-types.js";
import type { Appended, Storage } from "../storage/storage.js";
import type { SyncReader } from "../sync/log.js";
import type { Connection, Hub } from "../sync/hub.js";
import type { HandOverReason, OfflineChannel } from "../sync/offline-channel.js";
import { realTimers, type Timers } from "./collapse.js";
import type { DropReason, PushFunnel } from "./funnel.js";
import { HostPolicy } from "./net-guard.js";
import { type Campaign, chatPayload, type Common, encodePayload, followPayload, marketingPayload, messagePreview, offerPayload, offerTag, orderPayload, photoCaption } from "./payload.js";
import { CATEGORY_POLICY, RECEIPT_WINDOW_MS, topicFor, utcDay } from "./policy.js";
import { RedisGuard } from "./redis-guard.js";
import { RouteReads } from "./route-reads.js";
import { PushSender, type Transport } from "./sender.js";
import { type Batch, type Shareable, SharedWindows } from "./shared-windows.js";
import { type Resolver, systemResolver } from "./subscription.js";
import { type LastShown, MemoryShown, RedisShown } from "./shown.js";
import { type Mark, MemoryUnseen, RedisUnseen, type UnseenCounts } from "./unseen.js";

/** Something the user may be notified of, found in an appended entry. */
export type PushEvent =
  /** No text: a window (in memory or in Redis) holds the message's place only; its text is read from storage when the window closes. */
  | { category: "chat"; d: Domain; v: number; at: number; conversationId: string; messageId: string; seq: number; senderId: string }
  | { category: "order"; d: Domain; v: number; at: number; order: Order }
  /** An offer made or answered (issue 14): category "order" too (the same preference and policy). */
  | { category: "order"; d: Domain; v: number; at: number; offer: Offer }
  | { category: "follow"; d: Domain; v: number; at: number; follower: User }
  | { category: "marketing"; d: Domain; v: number; at: number; campaign: Campaign };

/** A message someone else recalled, in a conversation of the user. */
export interface Recall {
  conversationId: string;
  messageId: string;
  seq: number;
  by: string;
  at: number;
}

/** A message the user deleted for themselves. */
export interface Hide {
  conversationId: string;
  messageId: string;
  at: number;
}

/** What one entry means to the push service, for the user it was appended to. */
export type Classified = { event: PushEvent } | { read: { conversationId: string; seq: number } } | { recall: Recall } | { hide: Hide } | null;

const ORDER_ACTOR: Record<Exclude<Order["status"], "cancelled">, "buyerId" | "sellerId"> = { bought: "buyerId", shipped: "sellerId", received: "buyerId" };

/** Who took an order's newest step; null when another notice tells it (an accepted offer's order: the offer's). */
function orderActor(order: Order): string | null {
  if (order.status === "cancelled") return order.cancelledBy ?? null;
  if (order.status === "bought" && order.offerId !== undefined) return null;
  return order[ORDER_ACTOR[order.status]];
}

/** Who changed an offer: its maker made or withdrew it, the other party answered it. Null: not announced (a counter's new offer tells it; expired is no one's doing). */
function offerActor(offer: Offer): string | null {
  const other = offer.by === offer.buyerId ? offer.sellerId : offer.buyerId;
  switch (offer.status) {
    case "open":
    case "withdrawn":
      return offer.by;
    case "accepted":
    case "declined":
      return other;
    default:
      return null;
  }
}

/** The other party of an order step or an offer change, as an event; null for the actor (and for what is not announced). */
function tradeEvent(userId: string, actorId: string | null, event: PushEvent): Classified {
  return actorId === null || actorId === userId ? null : { event };
}

/**
 * Reads an entry: a text message from someone else, an order step taken by
 * the other party, a follow notice, a promo, or this user's own read marker.
 * Everything else (and the user's own actions) is not notified.
 */
export function classify(userId: string, entry: Entry): Classified {
  const { d, v, at } = entry;
  if (isKind(entry, "msg")) {
    const m = entry.data.message;
    if (m.senderId === userId || messagePreview(m) === null || m.recalled) return null;
    return { event: { category: "chat", d, v, at, conversationId: m.conversationId, messageId: m.id, seq: m.seq, senderId: m.senderId } };
  }
  if (isKind(entry, "recall")) {
    const { conversationId, messageId, seq, by } = entry.data;
    return by === userId ? null : { recall: { conversationId, messageId, seq, by, at } };
  }
  if (isKind(entry, "hide")) {
    const { conversationId, messageId } = entry.data;
    return { hide: { conversationId, messageId, at } };
  }
  if (isKind(entry, "read")) {
    return entry.data.userId === userId ? { read: { conversationId: entry.data.conversationId, seq: entry.data.seq } } : null;
  }
  if (isKind(entry, "order")) {
    const order = entry.data.order;
    return tradeEvent(userId, orderActor(order), { category: "order", d, v, at, order });
  }
  if (isKind(entry, "offer")) {
    const offer = entry.data.offer;
    return tradeEvent(userId, offerActor(offer), { category: "order", d, v, at, offer });
  }
  if (isKind(entry, "notice")) {
    const data = entry.data as { type?: unknown; user?: Partial<User> };
    const u = data.user;
    if (data.type !== "follow" || typeof u?.id !== "string" || typeof u.username !== "string" || typeof u.displayName !== "string") return null;
    return { event: { category: "follow", d, v, at, follower: { id: u.id, username: u.username, displayName: u.displayName } } };
  }
  if (isKind(entry, "promo")) {
    const p = entry.data as Partial<Campaign>;
    if (typeof p.campaignId !== "string" || typeof p.title !== "string" || typeof p.body !== "string") return null;
    const campaign: Campaign = { campaignId: p.campaignId, title: p.title, body: p.body, ...(typeof p.url === "string" ? { url: p.url } : {}) };
    return { event: { category: "marketing", d, v, at, campaign } };
  }
  return null;
}

/** The collapse key of an event: one notification per (device, key) per window, and one Topic. */
export function collapseKeyOf(e: PushEvent): string {
  switch (e.category) {
    case "chat":
      return `c:${e.conversationId}`;
    case "order":
      return "offer" in e ? offerTag(e.offer) : `o:${e.order.id}`;
    case "follow":
      return "follow";
    case "marketing":
      return `promo:${e.campaign.campaignId}`;
  }
}

type ChatEvent = Extract<PushEvent, { category: "chat" }>;

/** Which of two events of one window is newer: the later message of a chat, else the later commit. */
const rankOf = (e: PushEvent): number => (e.category === "chat" ? e.seq : e.at);

/** How a window item travels to the process that owns the window (shared-windows.ts). */
const shareable = (p: Pending): Shareable => ({
  rank: rankOf(p.event),
  json: JSON.stringify(p.event),
  forced: p.forced,
  mark: p.event.category === "chat" ? { seq: p.event.seq, at: p.event.at } : null,
});

/** An event another process added to a window (our own JSON); null if it cannot be read. */
function decodeEvent(json: string): PushEvent | null {
  try {
    const e = JSON.parse(json) as PushEvent;
    return typeof e === "object" && e !== null && typeof e.category === "string" ? e : null;
  } catch {
    return null;
  }
}

const conversationOf = (e: PushEvent): string | null =>
  e.category === "chat" ? e.conversationId : e.category === "order" ? ("offer" in e ? e.offer : e.order).conversationId : null;

interface Pending {
  userId: string;
  deviceId: string;
  event: PushEvent;
  /** Handed over by the retransmitter: the device is connected but not acking, so "live" does not count. */
  forced: boolean;
}

/** Entries older than this are not notified when a device is handed over. */
export const HANDOVER_HORIZON_MS = 60 * 60_000;
const HANDOVER_PAGE = 200;
const MAX_HANDED = 10_000;
/** Routed entries remembered per device: a hand-over reads at most HANDOVER_PAGE per domain. */
const HANDED_PER_DEVICE = 2 * HANDOVER_PAGE;
/** Bulk senders (campaigns) wait while this many notifications are waiting or in flight. */
export const BACKLOG_HIGH_WATER = 2000;
/** …and while this many routings (each reads the database: the user's devices) are in flight, so chat does not queue behind them. */
export const ROUTING_HIGH_WATER = 50;
const PRUNE_EVERY_MS = 60 * 60_000;

export interface PushServiceOptions {
  /** TLS agent for push services (tests: one trusting their throwaway CA). */
  agent?: https.Agent;
  /** Replaces HTTPS entirely (unit tests). */
  transport?: Transport;
  /** Waits before a retry (tests: fake time). */
  sleep?: (ms: number) => Promise<void>;
  /** Collapse-window timers (tests: fake time). */
  timers?: Timers;
  /** Host lookups when validating subscriptions (tests). */
  resolve?: Resolver;
  /** How long past a window's end a process that added to another's window waits for it (shared-windows.ts; tests: long). */
  shareGraceMs?: number;
}

export interface PushDeps {
  storage: Storage;
  /** The entry log (hand-overs read what a device has not acked). */
  sync: SyncReader;
  hub: Hub;
  config: PushConfig;
  clock: () => number;
  funnel: PushFunnel;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Which devices are live on any process; asked about devices not live on this one ("not known": not live). */
  presence: Presence;
  /** Shares collapse windows and unseen counts with the other processes; null or absent: one process. */
  redis?: RedisLink | null;
  /** Told of each notification the push service accepted (docs/observability.md). */
  events?: Pick<DeliveryEvents, "notified">;
}

/** What a notification announced, remembered for its receipts (`noticeOf`). */
export interface NoticeRef {
  device: DeviceRef;
  messages: readonly SeqRange[];
}

/** Notifications remembered for their receipts, per process (the newest; a receipt of an older one, or one sent by another process, names none). */
const NOTICES_REMEMBERED = 10_000;

/** Where a push went, for logs: the push service's origin only (the path is the subscription's secret). */
const originOf = (endpoint: string) => {
  try {
    return new URL(endpoint).origin;
  } catch {
    return "invalid";
  }
};

/**
 * The offline channel: Web Push to the user's devices that are not live.
 *
 * `appended` (every committed batch) and `handOver` (from the retransmitter)
 * turn entries into events; each event goes to each of the user's devices
 * that is subscribed, signed in and not live (on this process, or on another
 * by cluster presence), unless the conversation is muted or the category's
 * quota is used up (each case counted in the funnel). Events are collapsed
 * per (device, collapse key) for `windowMs`, across processes when a Redis
 * link is given (shared-windows.ts); when a window closes one request goes
 * out with the count and the newest preview. For chats the count is of
 * unseen messages (unseen.ts) and carries over windows until the device
 * comes live (on any process; or its lastSeen moves) or the user reads the
 * conversation.
 */
export class PushService implements OfflineChannel {
  readonly policy: HostPolicy;
  readonly resolve: Resolver;
  private keys: VapidKeys | null = null;
  private sender: PushSender | null = null;
  private readonly windows: SharedWindows<Pending>;
  private readonly unseen: UnseenCounts;
  private readonly shown: LastShown;
  private readonly redis: RedisGuard;
  /**
   * Per device, the entries already routed to Web Push, as `d:v` (the newest
   * HANDED_PER_DEVICE): a hand-over skips exactly those. Not a high-water
   * mark: an entry dropped as "live" for a connection that turned out dead
   * must still be handed over after a newer one was routed.
   */
  private readonly handed = new Map<string, Set<string>>();
  /** Per notification id sent from here (the newest NOTICES_REMEMBERED): its device and messages, for receipts' delivery events. */
  private readonly notices = new Map<string, NoticeRef>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly reads: RouteReads;
  private readonly inFlight = new Set<Promise<unknown>>();
  private lastPrune = 0;
  private closed = false;

  constructor(
    private readonly deps: PushDeps,
    private readonly opts: PushServiceOptions = {},
  ) {
    this.policy = new HostPolicy(deps.config.allowHosts);
    this.resolve = opts.resolve ?? systemResolver;
    this.redis = new RedisGuard(deps.redis ?? null, deps.log);
    this.reads = new RouteReads(deps.storage);
    const track = (p: Promise<unknown>) => this.track(p);
    this.unseen = deps.redis ? new RedisUnseen(this.redis, track) : new MemoryUnseen();
    this.shown = deps.redis ? new RedisShown(this.redis, track, deps.clock) : new MemoryShown(deps.clock);
    this.windows = new SharedWindows<Pending>({
      windowMs: deps.config.windowMs,
      graceMs: opts.shareGraceMs,
      timers: opts.timers ?? realTimers,
      guard: this.redis,
      share: shareable,
      send: (batch) => this.flush(batch),
      track,
    });
  }

  /** Loads the VAPID key pair (created on the very first start) and readies the sender. */
  async start(): Promise<void> {
    const candidate = webpush.generateVAPIDKeys();
    this.keys = await this.deps.storage.write(async (tx) => tx.push.vapidKeys(candidate, this.deps.clock()));
    this.sender = new PushSender({
      vapid: { ...this.keys, subject: this.deps.config.subject },
      policy: this.policy,
      concurrency: this.deps.config.concurrency,
      maxAttempts: this.deps.config.maxAttempts,
      agent: this.opts.agent,
      transport: this.opts.transport,
      sleep: this.opts.sleep,
      now: this.deps.clock,
      onRetry: () => this.deps.funnel.retries++,
    });
    if (this.deps.config.subject === DEFAULT_PUSH_SUBJECT) {
      this.deps.log.warn(
        { subject: DEFAULT_PUSH_SUBJECT },
        "PUSH_SUBJECT is not set: Apple's push service rejects a localhost contact; set it to mailto:you@your-domain or https://your-site",
      );
    }
  }

  /** base64url of the 65-byte P-256 public key browsers subscribe with. */
  get publicKey(): string {
    if (!this.keys) throw new Error("push service not started");
    return this.keys.publicKey;
  }

  // ---- the offline channel ----

  appended(appended: Appended): void {
    if (this.closed) return;
    for (const { userId, entries } of appended) {
      const events: PushEvent[] = [];
      for (const entry of entries) {
        const c = classify(userId, entry);
        if (!c) continue;
        // The user read a conversation (on any device): those messages are no longer unseen anywhere.
        if ("read" in c) this.unseen.read(userId, c.read.conversationId, c.read.seq);
        else if ("recall" in c) this.chain(userId, () => this.recall(userId, c.recall));
        else if ("hide" in c) this.chain(userId, () => this.replaceShown(userId, c.hide.conversationId, c.hide.messageId, async () => hiddenNotice(c.hide)));
        else events.push(c.event);
      }
      if (events.length > 0) this.chain(userId, () => this.route(userId, events, null));
    }
  }

  handOver(userId: string, deviceId: string, reason: HandOverReason): void {
    if (this.closed) return;
    this.chain(userId, async () => {
      // A device that disconnected and is back already (here or on another process) gets everything over its connection.
      if (reason === "disconnected" && (await this.liveAnywhere(userId, deviceId))) return;
      const acks = await this.deps.sync.deviceAcks(userId, deviceId);
      const handed = this.handed.get(deviceId);
      const horizon = this.deps.clock() - HANDOVER_HORIZON_MS;
      const events: PushEvent[] = [];
      for (const d of ["chat", "system"] as const) {
        const page = await this.deps.sync.pull(userId, d, acks[d], HANDOVER_PAGE);
        if (page.reset) continue;
        for (const entry of page.entries) {
          if (handed?.has(`${d}:${entry.v}`)) continue;
          const c = classify(userId, entry);
          if (c && "event" in c && entry.at >= horizon) events.push(c.event);
        }
      }
      if (events.length > 0) await this.route(userId, events, { deviceId, forced: reason === "gave_up" });
    });
  }

  /**
   * The hub's observer interface: only "added" matters here. A connection of
   * the device became live on this process: whatever it was told is now
   * seen, and the next notification counts from zero, on every process. (A
   * window still open for it is dropped when it closes, if the device is
   * still live then.)
   */
  readonly hubObserver = {
    added: (conn: Connection) => this.unseen.deviceLive(conn.userId, conn.deviceId, this.deps.clock()),
    removed: () => {},
    pushed: () => {},
  };

  // ---- is the device live ----

  /** Live devices of the user on any process, by cluster presence; null when not known (then only this process counts). */
  private async liveElsewhere(userId: string): Promise<ReadonlyMap<string, unknown> | null> {
    let devices: ReadonlyMap<string, unknown> | null;
    try {
      devices = await this.deps.presence.liveDevices(userId);
    } catch (err) {
      this.deps.log.warn({ err }, "presence lookup failed");
      devices = null;
    }
    this.redis.presence(devices !== null);
    return devices;
  }

  /** Live on this process (asked first: no round trip) or on another. */
  private async liveAnywhere(userId: string, deviceId: string): Promise<boolean> {
    if (this.deps.hub.transportOf(userId, deviceId) !== null) return true;
    return (await this.liveElsewhere(userId))?.has(deviceId) ?? false;
  }

  // ---- routing ----

  /** Decides, per event and device, between a drop (with its reason) and a collapse window. */
  private async route(userId: string, events: PushEvent[], only: { deviceId: string; forced: boolean } | null): Promise<void> {
    const { storage, funnel } = this.deps;
    const now = this.deps.clock();
    this.maybePrune(now);
    // Everything the decisions read, in one read shared by every routing of this turn (route-reads.ts: one per fan-out, not per recipient).
    const conversationIds = new Set<string>();
    const senderIds = new Set<string>();
    for (const event of events) {
      const convId = conversationOf(event);
      if (convId) conversationIds.add(convId);
      if (event.category === "chat") senderIds.add(event.senderId);
    }
    const known = await this.reads.load({ userId, now, conversationIds: [...conversationIds], senderIds: [...senderIds] });
    const targets = only ? known.targets.filter((t) => t.deviceId === only.deviceId) : known.targets;
    // Cluster presence, asked at most once per routing.
    let presence: Promise<ReadonlyMap<string, unknown> | null> | undefined;
    const elsewhere = () => (presence ??= this.liveElsewhere(userId));
    for (const event of events) {
      const cat = event.category;
      const convId = conversationOf(event);
      const conv = convId ? (known.conversations.get(convId) ?? null) : null;
      // No longer a member, or read already (a hand-over of old entries): nothing to say.
      if (convId && !conv) continue;
      if (event.category === "chat" && conv && event.seq <= conv.readSeq) continue;
      // Safety (issue 14): never a notification of a message from someone this user blocks (in a group too).
      if (event.category === "chat" && known.blocked.has(event.senderId)) continue;
      if (targets.length === 0) {
        funnel.drop(cat, "no_subscription");
        continue;
      }
      const eligible: PushTarget[] = [];
      for (const t of targets) {
        const reason = await this.dropReason(userId, t, conv, only?.forced ?? false, elsewhere);
        if (reason) funnel.drop(cat, reason);
        else eligible.push(t);
      }
      if (eligible.length === 0) continue;
      if (cat === "marketing" && !(await storage.write(async (tx) => tx.push.takeQuota(userId, cat, utcDay(now), this.deps.config.marketingDailyQuota)))) {
        funnel.drop(cat, "quota", eligible.length);
        continue;
      }
      for (const t of eligible) {
        this.markHanded(t.deviceId, event);
        const pending = { userId, deviceId: t.deviceId, event, forced: only?.forced ?? false };
        const joined = await this.windows.add({ userId, deviceId: t.deviceId, collapseKey: collapseKeyOf(event) }, pending);
        if (joined === "joined") funnel.collapsed++;
      }
    }
  }

  /**
   * Live on another process is asked last, so only about devices that would
   * otherwise be notified (such a device without a subscription counts as
   * "no_subscription", where one live here counts as "live").
   */
  private async dropReason(
    userId: string,
    t: PushTarget,
    conv: PushConversation | null,
    forced: boolean,
    elsewhere: () => Promise<ReadonlyMap<string, unknown> | null>,
  ): Promise<DropReason | null> {
    if (conv?.muted) return "muted";
    if (!forced && this.deps.hub.transportOf(userId, t.deviceId) !== null) return "live";
    if (!t.subscription) return "no_subscription";
    if (!t.signedIn) return "signed_out";
    if (!forced && (await elsewhere())?.has(t.deviceId)) return "live";
    return null;
  }

  private markHanded(deviceId: string, e: PushEvent): void {
    let set = this.handed.get(deviceId);
    if (!set) {
      if (this.handed.size >= MAX_HANDED) this.handed.delete(this.handed.keys().next().value!);
      this.handed.set(deviceId, (set = new Set()));
    }
    set.add(`${e.d}:${e.v}`);
    if (set.size > HANDED_PER_DEVICE) set.delete(set.values().next().value!);
  }

  // ---- a window closes ----

  /** A window closed: one notification for its items and what other processes added to it, unless a check says otherwise. */
  private async flush(batch: Batch<Pending>): Promise<void> {
    if (this.closed) return;
    const { userId, deviceId } = batch.key;
    const { joined } = batch;
    const events = batch.items.map((i) => i.event);
    const added = joined?.newest ? decodeEvent(joined.newest) : null;
    if (added) events.push(added);
    else if (joined?.newest) this.deps.log.warn({ deviceId }, "push: an event another process added to a collapse window could not be read");
    if (events.length === 0) return;
    const cat: PushCategory = events[0]!.category;
    const { storage, funnel } = this.deps;
    const forced = batch.items.some((i) => i.forced) || (joined?.forced ?? false);
    if (!forced && (await this.liveAnywhere(userId, deviceId))) return funnel.drop(cat, "live");
    const now = this.deps.clock();
    const target = (await storage.read(async (r) => r.push.targets(userId, now))).find((t) => t.deviceId === deviceId);
    if (!target?.subscription) return funnel.drop(cat, "no_subscription");
    if (!target.signedIn) return funnel.drop(cat, "signed_out");
    const convId = conversationOf(events[0]!);
    const conv = convId ? await storage.read(async (r) => r.push.conversation(userId, convId)) : null;
    if (convId && !conv) return;
    if (conv?.muted) return funnel.drop(cat, "muted");
    const prefs = await storage.read(async (r) => r.push.preferences(userId));
    const id = randomUUID();
    const common = (count: number, at: number): Common => ({ id, count, at, hidePreviews: prefs.hidePreviews });
    const latest = events.reduce((a, e) => (rankOf(e) >= rankOf(a) ? e : a));
    const count = batch.items.length + (joined?.count ?? 0);

    let payload: PushPayload;
    /** The messages it announces (a chat's), for the delivery events. */
    let announced: SeqRange[] = [];
    switch (latest.category) {
      case "chat": {
        const fresh = await this.countUnseen(userId, deviceId, target, conv!, events, joined?.marks ?? []);
        if (!fresh) return funnel.drop(cat, "read");
        const sender = await storage.read(async (r) => r.users.get(fresh.latest.senderId));
        payload = chatPayload(common(fresh.count, fresh.latest.at), fresh.latest.conversationId, conv!, {
          senderName: sender?.displayName ?? "Someone",
          body: fresh.body,
          ...(fresh.photoCaption === undefined ? {} : { photoCaption: fresh.photoCaption }),
          messageId: fresh.latest.messageId,
        });
        this.shown.shown(userId, deviceId, fresh.latest.conversationId, fresh.latest.messageId);
        announced = rangesOf(fresh.fresh);
        break;
      }
      case "order": {
        const trade = "offer" in latest ? { actorId: offerActor(latest.offer), itemId: latest.offer.itemId } : { actorId: orderActor(latest.order), itemId: latest.order.itemId };
        const [actor, item] = await storage.read(async (r) => Promise.all([r.users.get(trade.actorId ?? ""), r.items.get(trade.itemId)]));
        const itemTitle = item?.title ?? conv?.itemTitle ?? null;
        const actorName = actor?.displayName ?? "Someone";
        payload = "offer" in latest ? offerPayload(common(count, latest.at), latest.offer, itemTitle, actorName) : orderPayload(common(count, latest.at), latest.order, itemTitle, actorName);
        break;
      }
      case "follow":
        payload = followPayload(common(count, latest.at), latest.follower);
        break;
      case "marketing":
        payload = marketingPayload(common(count, latest.at), latest.campaign);
        break;
    }
    await this.send(userId, deviceId, target.subscription, cat, collapseKeyOf(latest), payload, true, announced);
  }

  /**
   * Adds a closing chat window to the device's unseen messages of that
   * conversation (`marks`: those other processes added to the window, of
   * which `events` holds only the newest) and answers how many are unseen
   * and which is the newest, or null when nothing new is left to announce
   * (read, or the device was seen, meanwhile).
   */
  private async countUnseen(
    userId: string,
    deviceId: string,
    target: PushTarget,
    conv: PushConversation,
    events: PushEvent[],
    marks: readonly Mark[],
  ): Promise<{ count: number; latest: ChatEvent; body: string; photoCaption: string | undefined; fresh: ChatEvent[] } | null> {
    const isFresh = (m: Mark) => m.seq > conv.readSeq && m.at >= target.lastSeen;
    const standing = await this.standing(userId, events.filter((e): e is ChatEvent => e.category === "chat" && isFresh(e)));
    if (!standing) return null;
    const { fresh, latest, body, photoCaption } = standing;
    const seen = { lastSeen: target.lastSeen, readSeq: conv.readSeq };
    const count = await this.unseen.count(userId, deviceId, latest.conversationId, seen, [...fresh, ...marks.filter(isFresh)].map(({ seq, at }) => ({ seq, at })));
    return { count: Math.max(count, 1), latest, body, photoCaption, fresh };
  }

  /**
   * The newest of `events` (one conversation's) as stored now, as `userId`
   * sees it: a message recalled, deleted by the user for themselves (the
   * history page's filter) or gone since it was routed is dropped, newest
   * first, until one still stands, whose stored text is the preview (events
   * carry none). So a recall or a delete for me within the collapse window,
   * on any process, is never previewed. Null: none stands.
   */
  private async standing(userId: string, events: ChatEvent[]): Promise<{ fresh: ChatEvent[]; latest: ChatEvent; body: string; photoCaption: string | undefined } | null> {
    const left = [...events].sort((a, b) => a.seq - b.seq);
    while (left.length > 0) {
      const newest = left.at(-1)!;
      const [stored] = await this.deps.storage.read(async (r) => r.messages.page(newest.conversationId, newest.seq + 1, 1, userId));
      if (stored?.seq === newest.seq && !stored.recalled) {
        const latest = { ...newest, messageId: stored.id };
        left[left.length - 1] = latest;
        return { fresh: left, latest, body: messagePreview(stored) ?? "", photoCaption: photoCaption(stored) };
      }
      left.pop();
    }
    return null;
  }

  /** Someone recalled a message (docs/messages.md): its notification says so ("Ann recalled a message"). */
  private async recall(userId: string, recall: Recall): Promise<void> {
    const { storage } = this.deps;
    const conv = await storage.read(async (r) => r.push.conversation(userId, recall.conversationId));
    await this.replaceShown(userId, recall.conversationId, recall.messageId, async () => {
      const byName = (await storage.read(async (r) => r.users.get(recall.by)))?.displayName ?? "Someone";
      const { conversationId, messageId, at } = recall;
      return recallNotice({ conversationId, messageId, at, byName, groupTitle: conv?.type === "group" ? (conv.title ?? "") : null });
    });
  }

  /**
   * A message recalled, or deleted by the user for themselves: each device
   * whose newest notification of the conversation previewed it (shown.ts;
   * also after the conversation was read, or muted: it may still be on
   * screen) gets `notice` (no text), under the chat push's Topic, so one
   * still undelivered at the push service is replaced there (RFC 8030) and
   * the text never arrives. The service worker replaces the notification
   * showing that message and leaves any other alone. Such a device is
   * subscribed, signed in and not live (a live one gets the entry). Not
   * counted in the funnel: it announces nothing new.
   */
  private async replaceShown(userId: string, conversationId: string, messageId: string, notice: () => Promise<PushPayload>): Promise<void> {
    const targets = await this.deps.storage.read(async (r) => r.push.targets(userId, this.deps.clock()));
    let presence: Promise<ReadonlyMap<string, unknown> | null> | undefined;
    let payload: PushPayload | undefined;
    for (const t of targets) {
      if (!t.subscription || !t.signedIn || this.deps.hub.transportOf(userId, t.deviceId) !== null) continue;
      const last = await this.shown.last(userId, t.deviceId, conversationId);
      if (last !== messageId && last !== "unknown") continue;
      if ((await (presence ??= this.liveElsewhere(userId)))?.has(t.deviceId)) continue;
      payload ??= await notice();
      await this.send(userId, t.deviceId, t.subscription, "chat", `c:${conversationId}`, payload, false);
    }
  }

  /** `counted`: a notification of the funnel (recorded for receipts); a recall's replacement is not. `messages`: what it announces. */
  private async send(
    userId: string,
    deviceId: string,
    subscription: NonNullable<PushTarget["subscription"]>,
    cat: PushCategory,
    collapseKey: string,
    payload: PushPayload,
    counted = true,
    messages: readonly SeqRange[] = [],
  ): Promise<void> {
    const { storage, funnel, log } = this.deps;
    const sender = this.sender;
    if (!sender) return;
    const policy = CATEGORY_POLICY[cat];
    if (counted) {
      await storage.write(async (tx) => tx.push.recordNotice({ id: payload.id!, userId, category: cat, at: this.deps.clock() }));
      funnel.request(cat);
    }
    const result = await sender.send({
      subscription,
      payload: encodePayload(payload),
      ttlSeconds: policy.ttlSeconds,
      urgency: policy.urgency,
      topic: topicFor(collapseKey),
    });
    if (result.ok && counted) {
      funnel.accept(cat);
      this.remember(payload.id!, { device: { userId, deviceId }, messages });
      this.deps.events?.notified({ userId, deviceId }, cat, messages, this.deps.clock());
    }
    if (result.ok) return;
    if (counted) funnel.reject(cat, result.reason);
    const where = { deviceId, pushService: originOf(subscription.endpoint), status: result.status, reason: result.reason, attempts: result.attempts };
    if (result.reason === "expired") {
      const dropped = await storage.write(async (tx) => tx.push.drop(deviceId, subscription.endpoint));
      log.info({ ...where, removed: dropped }, "push subscription expired; removed it from the device");
    } else {
      log.warn(where, "push service did not accept a notification");
    }
  }

  /** The device and messages of a notification sent from this process (null: unknown here), for its receipts. */
  noticeOf(id: string): NoticeRef | null {
    return this.notices.get(id) ?? null;
  }

  private remember(id: string, notice: NoticeRef): void {
    if (this.notices.size >= NOTICES_REMEMBERED) this.notices.delete(this.notices.keys().next().value!);
    this.notices.set(id, notice);
  }

  // ---- housekeeping ----

  private chain(userId: string, task: () => Promise<void>): void {
    const prev = this.chains.get(userId) ?? Promise.resolve();
    const next = prev.then(task).catch((err: unknown) => this.deps.log.warn({ err }, "push routing failed"));
    this.chains.set(userId, next);
    this.track(next);
    void next.finally(() => {
      if (this.chains.get(userId) === next) this.chains.delete(userId);
    });
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((err: unknown) => this.deps.log.warn({ err }, "push delivery failed"));
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
  }

  private maybePrune(now: number): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.track(this.deps.storage.write(async (tx) => tx.push.prune(now - RECEIPT_WINDOW_MS, utcDay(now - 2 * 24 * 60 * 60_000))));
  }

  /** Notifications waiting in windows or being sent. */
  get backlog(): number {
    return this.windows.ownedSize + (this.sender?.backlog ?? 0);
  }

  /** Resolves once the backlog is below `limit` and fewer than `routing` routings are in flight (bulk senders call it between batches). */
  async belowBacklog(limit = BACKLOG_HIGH_WATER, routing = ROUTING_HIGH_WATER): Promise<void> {
    while (!this.closed && (this.backlog >= limit || this.inFlight.size >= routing)) {
      const tick = new Promise((r) => setTimeout(r, 50));
      // Routing takes milliseconds: wait for what is in flight now (or the tick), not a whole tick.
      await (this.backlog >= limit ? tick : Promise.race([Promise.allSettled([...this.inFlight]), tick]));
    }
  }

  /**
   * Closes every open window now (tests, and the moment before shutdown).
   * Windows of other processes this one added to are sent now too if their
   * owner has not: maybe a notification too many, never one missing.
   */
  flushWindows(): void {
    this.windows.flushAll();
  }

  /** Resolves when nothing is being routed or sent; open windows stay open (tests). */
  async quiet(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves when nothing is being routed, waiting in a window or being sent (tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.windows.size > 0) {
      if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Stops. Open windows hold notifications no other process sends, so
   * they are sent now, given up to `graceMs` to go out; then retry waits end,
   * connections close, and it resolves when nothing is in flight.
   */
  async close(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    if (this.closed) return;
    this.windows.flushAll();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.quiet(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.closed = true;
    this.windows.clear();
    this.sender?.close();
    await this.quiet();
  }
}

/** How long shutdown waits for the notifications of still-open windows to go out. */
const SHUTDOWN_GRACE_MS = 3_000;

/** base64url of the VAPID public key, for routes. */
export type { VapidKeys };
