import { randomUUID } from "node:crypto";
import type https from "node:https";
import webpush from "web-push";
import {
  type Domain,
  type Entry,
  isKind,
  type Order,
  type PushCategory,
  type PushPayload,
  type User,
} from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_SUBJECT, type PushConfig } from "../config.js";
import type { PushConversation, PushTarget, VapidKeys } from "../storage/push-types.js";
import type { Appended, Storage } from "../storage/storage.js";
import type { SyncReader } from "../sync/log.js";
import type { Connection, Hub } from "../sync/hub.js";
import type { HandOverReason, OfflineChannel } from "../sync/offline-channel.js";
import { CollapseWindows, realTimers, type Timers } from "./collapse.js";
import type { DropReason, PushFunnel } from "./funnel.js";
import { HostPolicy } from "./net-guard.js";
import { type Campaign, chatPayload, type Common, encodePayload, followPayload, marketingPayload, orderPayload } from "./payload.js";
import { CATEGORY_POLICY, RECEIPT_WINDOW_MS, topicFor, utcDay } from "./policy.js";
import { PushSender, type Transport } from "./sender.js";
import { type Resolver, systemResolver } from "./subscription.js";

/** Something the user may be notified of, found in an appended entry. */
export type PushEvent =
  | { category: "chat"; d: Domain; v: number; at: number; conversationId: string; seq: number; senderId: string; body: string }
  | { category: "order"; d: Domain; v: number; at: number; order: Order }
  | { category: "follow"; d: Domain; v: number; at: number; follower: User }
  | { category: "marketing"; d: Domain; v: number; at: number; campaign: Campaign };

/** What one entry means to the push service, for the user it was appended to. */
export type Classified = { event: PushEvent } | { read: { conversationId: string; seq: number } } | null;

const ORDER_ACTOR: Record<Order["status"], "buyerId" | "sellerId"> = { bought: "buyerId", shipped: "sellerId", received: "buyerId" };

/**
 * Reads an entry: a text message from someone else, an order step taken by
 * the other party, a follow notice, a promo, or this user's own read marker.
 * Everything else (and the user's own actions) is not notified.
 */
export function classify(userId: string, entry: Entry): Classified {
  const { d, v, at } = entry;
  if (isKind(entry, "msg")) {
    const m = entry.data.message;
    if (m.senderId === userId || m.kind !== "text" || m.recalled) return null;
    return { event: { category: "chat", d, v, at, conversationId: m.conversationId, seq: m.seq, senderId: m.senderId, body: m.body } };
  }
  if (isKind(entry, "read")) {
    return entry.data.userId === userId ? { read: { conversationId: entry.data.conversationId, seq: entry.data.seq } } : null;
  }
  if (isKind(entry, "order")) {
    const order = entry.data.order;
    return order[ORDER_ACTOR[order.status]] === userId ? null : { event: { category: "order", d, v, at, order } };
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
      return `o:${e.order.id}`;
    case "follow":
      return "follow";
    case "marketing":
      return `promo:${e.campaign.campaignId}`;
  }
}

const conversationOf = (e: PushEvent): string | null =>
  e.category === "chat" ? e.conversationId : e.category === "order" ? e.order.conversationId : null;

interface Pending {
  userId: string;
  deviceId: string;
  event: PushEvent;
  /** Handed over by the retransmitter: the device is connected but not acking, so "live" does not count. */
  forced: boolean;
}

/** Messages of one conversation a device has been notified of and not yet seen. */
interface Unseen {
  seqs: Set<number>;
  /** When the oldest of them arrived; device activity after it means the device has synced. */
  since: number;
}

/** Entries older than this are not notified when a device is handed over. */
export const HANDOVER_HORIZON_MS = 60 * 60_000;
const HANDOVER_PAGE = 200;
/** Unseen-count records kept in memory at most (the oldest go first). */
const MAX_UNSEEN = 100_000;
const MAX_HANDED = 10_000;
/** Routed entries remembered per device: a hand-over reads at most HANDOVER_PAGE per domain. */
const HANDED_PER_DEVICE = 2 * HANDOVER_PAGE;
/** Bulk senders (campaigns) wait while this many notifications are waiting or in flight. */
export const BACKLOG_HIGH_WATER = 2000;
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
}

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
 * that is subscribed, signed in and not live here, unless the conversation is
 * muted or the category's quota is used up (each case counted in the funnel).
 * Events are collapsed per (device, collapse key) for `windowMs`; when a
 * window closes one request goes out with the count and the newest preview.
 * For chats the count is of unseen messages and carries over windows until
 * the device comes live (here: the hub tells us; elsewhere: its lastSeen
 * moves) or the user reads the conversation.
 */
export class PushService implements OfflineChannel {
  readonly policy: HostPolicy;
  readonly resolve: Resolver;
  private keys: VapidKeys | null = null;
  private sender: PushSender | null = null;
  private readonly windows: CollapseWindows<Pending>;
  /** Per user, per `${deviceId}|${conversationId}`. */
  private readonly unseen = new Map<string, Map<string, Unseen>>();
  private unseenCount = 0;
  /**
   * Per device, the entries already routed to Web Push, as `d:v` (the newest
   * HANDED_PER_DEVICE): a hand-over skips exactly those. Not a high-water
   * mark: an entry dropped as "live" for a connection that turned out dead
   * must still be handed over after a newer one was routed.
   */
  private readonly handed = new Map<string, Set<string>>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private lastPrune = 0;
  private closed = false;

  constructor(
    private readonly deps: PushDeps,
    private readonly opts: PushServiceOptions = {},
  ) {
    this.policy = new HostPolicy(deps.config.allowHosts);
    this.resolve = opts.resolve ?? systemResolver;
    const timers = opts.timers ?? realTimers;
    this.windows = new CollapseWindows<Pending>(deps.config.windowMs, (_key, items) => this.track(this.flush(items)), timers);
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
        if ("read" in c) this.read(userId, c.read.conversationId, c.read.seq);
        else events.push(c.event);
      }
      if (events.length > 0) this.chain(userId, () => this.route(userId, events, null));
    }
  }

  handOver(userId: string, deviceId: string, reason: HandOverReason): void {
    if (this.closed) return;
    this.chain(userId, async () => {
      // A device that disconnected and is back already gets everything over its connection.
      if (reason === "disconnected" && this.deps.hub.transportOf(userId, deviceId)) return;
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
   * A connection of the device became live here: whatever it was told is now
   * seen, and the next notification counts from zero. (A window still open
   * for it is dropped when it closes, if the device is still live then.)
   */
  deviceLive(userId: string, deviceId: string): void {
    const states = this.unseen.get(userId);
    if (!states) return;
    const prefix = `${deviceId}|`;
    for (const key of states.keys()) if (key.startsWith(prefix)) this.forgetUnseen(userId, key);
  }

  /** The hub's observer interface: only "added" matters here. */
  readonly hubObserver = {
    added: (conn: Connection) => this.deviceLive(conn.userId, conn.deviceId),
    removed: () => {},
    pushed: () => {},
  };

  // ---- routing ----

  /** The user read a conversation (on any device): those messages are no longer unseen anywhere. */
  private read(userId: string, conversationId: string, seq: number): void {
    const states = this.unseen.get(userId);
    if (!states) return;
    const suffix = `|${conversationId}`;
    for (const [key, state] of states) {
      if (!key.endsWith(suffix)) continue;
      for (const s of state.seqs) if (s <= seq) state.seqs.delete(s);
      if (state.seqs.size === 0) this.forgetUnseen(userId, key);
    }
  }

  private forgetUnseen(userId: string, key: string): void {
    const states = this.unseen.get(userId);
    if (!states?.delete(key)) return;
    this.unseenCount--;
    if (states.size === 0) this.unseen.delete(userId);
  }

  private keepUnseen(userId: string, key: string, state: Unseen): void {
    if (this.unseenCount >= MAX_UNSEEN) {
      // Over the cap: forget the user who has been in the map longest (their next count starts over).
      const [oldest, states] = this.unseen.entries().next().value!;
      this.unseenCount -= states.size;
      this.unseen.delete(oldest);
    }
    let states = this.unseen.get(userId);
    if (!states) this.unseen.set(userId, (states = new Map()));
    if (!states.has(key)) this.unseenCount++;
    states.set(key, state);
  }

  /** Decides, per event and device, between a drop (with its reason) and a collapse window. */
  private async route(userId: string, events: PushEvent[], only: { deviceId: string; forced: boolean } | null): Promise<void> {
    const { storage, funnel } = this.deps;
    const now = this.deps.clock();
    this.maybePrune(now);
    let targets = await storage.read(async (r) => r.push.targets(userId, now));
    if (only) targets = targets.filter((t) => t.deviceId === only.deviceId);
    const conversations = new Map<string, PushConversation | null>();
    const conversation = async (id: string) => {
      if (!conversations.has(id)) conversations.set(id, await storage.read(async (r) => r.push.conversation(userId, id)));
      return conversations.get(id)!;
    };
    for (const event of events) {
      const cat = event.category;
      const convId = conversationOf(event);
      const conv = convId ? await conversation(convId) : null;
      // No longer a member, or read already (a hand-over of old entries): nothing to say.
      if (convId && !conv) continue;
      if (event.category === "chat" && conv && event.seq <= conv.readSeq) continue;
      if (targets.length === 0) {
        funnel.drop(cat, "no_subscription");
        continue;
      }
      const eligible: PushTarget[] = [];
      for (const t of targets) {
        const reason = this.dropReason(userId, t, conv, only?.forced ?? false);
        if (reason === "live") this.deviceLive(userId, t.deviceId);
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
        const joined = this.windows.add(`${userId}|${t.deviceId}|${collapseKeyOf(event)}`, {
          userId,
          deviceId: t.deviceId,
          event,
          forced: only?.forced ?? false,
        });
        if (joined === "joined") funnel.collapsed++;
      }
    }
  }

  private dropReason(userId: string, t: PushTarget, conv: PushConversation | null, forced: boolean): DropReason | null {
    if (conv?.muted) return "muted";
    if (!forced && this.deps.hub.transportOf(userId, t.deviceId) !== null) return "live";
    if (!t.subscription) return "no_subscription";
    if (!t.signedIn) return "signed_out";
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

  private async flush(items: Pending[]): Promise<void> {
    if (this.closed || items.length === 0) return;
    const { userId, deviceId } = items[0]!;
    const cat: PushCategory = items[0]!.event.category;
    const { storage, hub, funnel } = this.deps;
    const forced = items.some((i) => i.forced);
    if (!forced && hub.transportOf(userId, deviceId) !== null) {
      this.deviceLive(userId, deviceId);
      return funnel.drop(cat, "live");
    }
    const now = this.deps.clock();
    const target = (await storage.read(async (r) => r.push.targets(userId, now))).find((t) => t.deviceId === deviceId);
    if (!target?.subscription) return funnel.drop(cat, "no_subscription");
    if (!target.signedIn) return funnel.drop(cat, "signed_out");
    const convId = conversationOf(items[0]!.event);
    const conv = convId ? await storage.read(async (r) => r.push.conversation(userId, convId)) : null;
    if (convId && !conv) return;
    if (conv?.muted) return funnel.drop(cat, "muted");
    const prefs = await storage.read(async (r) => r.push.preferences(userId));
    const id = randomUUID();
    const common = (count: number, at: number): Common => ({ id, count, at, hidePreviews: prefs.hidePreviews });
    const latest = items[items.length - 1]!.event;

    let payload: PushPayload;
    switch (latest.category) {
      case "chat": {
        const fresh = this.countUnseen(userId, deviceId, target, conv!, items);
        if (!fresh) return funnel.drop(cat, "read");
        const sender = await storage.read(async (r) => r.users.get(fresh.latest.senderId));
        payload = chatPayload(common(fresh.count, fresh.latest.at), fresh.latest.conversationId, conv!, {
          senderName: sender?.displayName ?? "Someone",
          body: fresh.latest.body,
        });
        break;
      }
      case "order": {
        const actorId = latest.order[ORDER_ACTOR[latest.order.status]];
        const [actor, item] = await storage.read(async (r) => Promise.all([r.users.get(actorId), r.items.get(latest.order.itemId)]));
        payload = orderPayload(common(items.length, latest.at), latest.order, item?.title ?? conv?.itemTitle ?? null, actor?.displayName ?? "Someone");
        break;
      }
      case "follow":
        payload = followPayload(common(items.length, latest.at), latest.follower);
        break;
      case "marketing":
        payload = marketingPayload(common(items.length, latest.at), latest.campaign);
        break;
    }
    await this.send(userId, deviceId, target.subscription, cat, collapseKeyOf(latest), payload);
  }

  /**
   * Adds a closing chat window to the device's unseen messages of that
   * conversation and answers how many are unseen and which is the newest,
   * or null when nothing new is left to announce (read meanwhile).
   */
  private countUnseen(
    userId: string,
    deviceId: string,
    target: PushTarget,
    conv: PushConversation,
    items: Pending[],
  ): { count: number; latest: Extract<PushEvent, { category: "chat" }> } | null {
    const chats = items.map((i) => i.event).filter((e): e is Extract<PushEvent, { category: "chat" }> => e.category === "chat");
    const key = `${deviceId}|${chats[0]!.conversationId}`;
    let state = this.unseen.get(userId)?.get(key);
    // Active since the oldest unseen message arrived (on any process): it has synced, start over.
    if (state && target.lastSeen > state.since) state = undefined;
    const fresh = chats.filter((e) => e.seq > conv.readSeq && e.at >= target.lastSeen);
    if (!state) state = { seqs: new Set(), since: fresh[0]?.at ?? this.deps.clock() };
    for (const e of fresh) state.seqs.add(e.seq);
    for (const s of state.seqs) if (s <= conv.readSeq) state.seqs.delete(s);
    if (state.seqs.size === 0) {
      this.forgetUnseen(userId, key);
      return null;
    }
    this.keepUnseen(userId, key, state);
    const latest = fresh.reduce<(typeof fresh)[number] | undefined>((a, e) => (!a || e.seq > a.seq ? e : a), undefined);
    return latest ? { count: state.seqs.size, latest } : null;
  }

  private async send(userId: string, deviceId: string, subscription: NonNullable<PushTarget["subscription"]>, cat: PushCategory, collapseKey: string, payload: PushPayload): Promise<void> {
    const { storage, funnel, log } = this.deps;
    const sender = this.sender;
    if (!sender) return;
    const policy = CATEGORY_POLICY[cat];
    await storage.write(async (tx) => tx.push.recordNotice({ id: payload.id!, userId, category: cat, at: this.deps.clock() }));
    funnel.request(cat);
    const result = await sender.send({
      subscription,
      payload: encodePayload(payload),
      ttlSeconds: policy.ttlSeconds,
      urgency: policy.urgency,
      topic: topicFor(collapseKey),
    });
    if (result.ok) return funnel.accept(cat);
    funnel.reject(cat, result.reason);
    const where = { deviceId, pushService: originOf(subscription.endpoint), status: result.status, reason: result.reason, attempts: result.attempts };
    if (result.reason === "expired") {
      const dropped = await storage.write(async (tx) => tx.push.drop(deviceId, subscription.endpoint));
      log.info({ ...where, removed: dropped }, "push subscription expired; removed it from the device");
    } else {
      log.warn(where, "push service did not accept a notification");
    }
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
    return this.windows.size + (this.sender?.backlog ?? 0);
  }

  /** Resolves once the backlog is below `limit` (bulk senders call it between batches). */
  async belowBacklog(limit = BACKLOG_HIGH_WATER): Promise<void> {
    while (!this.closed && this.backlog >= limit) await new Promise((r) => setTimeout(r, 50));
  }

  /** Closes every open window now (tests, and the moment before shutdown). */
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
   * Stops. Open windows hold notifications no other process knows about, so
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
