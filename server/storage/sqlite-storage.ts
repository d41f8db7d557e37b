import type Database from "better-sqlite3";
import {
  CourierError,
  DOMAINS,
  type CreateConversation,
  type CreateItem,
  type Domain,
  type Item,
  type Message,
  type Order,
  type PullResponse,
  type PushCategory,
  type SendRequest,
  type SettingsPatch,
  type Snapshot,
  type Summary,
  type User,
  type Versions,
  SNAPSHOT_MESSAGES_PER_CONVERSATION,
  zeroVersions,
} from "../../shared/protocol/index.js";
import type { AppendBatch } from "./sqlite/append-batch.js";
import * as chat from "./sqlite/chat-ops.js";
import { type Committed, GroupCommit } from "./sqlite/group-commit.js";
import { openDatabase } from "./sqlite/open.js";
import * as orders from "./sqlite/order-ops.js";
import { createStores, type Stores } from "./sqlite/stores.js";
import { listSummaries, memberConversation, summaryFor } from "./sqlite/summaries.js";
import type {
  AckResult,
  Appended,
  DeviceUpsert,
  NewEntry,
  NewSession,
  NewUser,
  Opened,
  OrderChange,
  Sent,
  SessionInfo,
  Storage,
  StoredDevice,
  StoredUser,
  SummaryChange,
  UpsertedDevice,
} from "./storage.js";
import type {
  CampaignStep,
  FollowChange,
  NewCampaign,
  PushConversation,
  PushNoticeRecord,
  PushPreferences,
  PushReceiptEvent,
  PushReceiptResult,
  PushTarget,
  StoredCampaign,
  StoredPushSubscription,
  VapidKeys,
} from "./push-types.js";

export interface SqliteOptions {
  /** A folder for courier.db, or ":memory:". */
  dataDir: string;
  ringCapacity: number;
}

/**
 * The embedded storage: better-sqlite3, one connection, synchronous
 * transactions behind an async interface. Writes use BEGIN IMMEDIATE so two
 * processes on one file queue on the lock instead of deadlocking on upgrade.
 */
export class SqliteStorage implements Storage {
  private readonly st: Stores;
  private readonly writes: GroupCommit<Stores>;

  private constructor(private readonly db: Database.Database, ringCapacity: number) {
    this.st = createStores(db, ringCapacity);
    this.writes = new GroupCommit(db, this.st);
  }

  static open(opts: SqliteOptions): SqliteStorage {
    return new SqliteStorage(openDatabase(opts.dataDir), opts.ringCapacity);
  }

  /** A write, committed with the others of this event-loop turn; its entries are handed back only once committed. */
  private write<T>(fn: (st: Stores, batch: AppendBatch) => T): Promise<Committed<T>> {
    return this.writes.write(fn);
  }

  /** Writes and commits so far: how well group commit groups. */
  get commitStats(): Readonly<GroupCommit<Stores>["stats"]> {
    return this.writes.stats;
  }

  /** A read transaction, so multi-query answers are one consistent picture. */
  private read<T>(fn: (st: Stores) => T): T {
    return this.db.transaction(() => fn(this.st)).deferred();
  }

  async createUser(user: NewUser): Promise<User> {
    return (await this.write((st) => st.users.createUser(user))).result;
  }
  async findUserByUsername(username: string): Promise<StoredUser | null> {
    return this.st.users.findByUsername(username);
  }
  async getUser(id: string): Promise<User | null> {
    return this.st.users.get(id);
  }
  async searchUsers(q: string, excludeId: string, limit: number): Promise<User[]> {
    return this.st.users.search(q, excludeId, limit);
  }
  async createSession(session: NewSession): Promise<string> {
    return (await this.write((st) => st.users.createSession(session))).result;
  }
  async findSession(tokenHash: string, now: number): Promise<SessionInfo | null> {
    return this.st.users.findSession(tokenHash, now);
  }
  async deleteSession(sessionId: string): Promise<void> {
    await this.write((st) => st.users.deleteSession(sessionId));
  }

  async upsertDevice(input: DeviceUpsert): Promise<UpsertedDevice> {
    return (await this.write((st) => st.devices.upsert(input))).result;
  }
  async getDevice(deviceId: string): Promise<StoredDevice | null> {
    return this.st.devices.get(deviceId);
  }
  async listDevices(userId: string): Promise<StoredDevice[]> {
    return this.st.devices.list(userId);
  }
  async deleteDevice(userId: string, deviceId: string): Promise<{ sessionIds: string[] } | null> {
    return (await this.write((st) => st.devices.delete(userId, deviceId))).result;
  }

  async createItem(sellerId: string, input: CreateItem, at: number): Promise<Item> {
    return (await this.write((st) => st.items.create(sellerId, input, at))).result;
  }
  async listItems(limit: number): Promise<Item[]> {
    return this.st.items.list(limit);
  }
  async getItem(id: string): Promise<Item | null> {
    return this.st.items.get(id);
  }

  async openConversation(userId: string, input: CreateConversation, at: number): Promise<Opened> {
    const { result, appended } = await this.write((st, batch) => {
      const { conv, created } = chat.openConversation(st, batch, userId, input, at);
      return { created, summary: summaryFor(st, userId, conv.id) };
    });
    return { ...result, appended };
  }
  async listSummaries(userId: string): Promise<Summary[]> {
    return this.read((st) => listSummaries(st, userId));
  }
  async getSummary(userId: string, conversationId: string): Promise<Summary> {
    return this.read((st) => summaryFor(st, userId, conversationId));
  }
  async updateSettings(userId: string, conversationId: string, patch: SettingsPatch, at: number): Promise<SummaryChange> {
    const { result, appended } = await this.write((st, batch) => chat.updateSettings(st, batch, userId, conversationId, patch, at));
    return { summary: result, appended };
  }
  async markRead(userId: string, conversationId: string, seq: number, at: number): Promise<SummaryChange> {
    const { result, appended } = await this.write((st, batch) => chat.markRead(st, batch, userId, conversationId, seq, at));
    return { summary: result, appended };
  }
  async history(userId: string, conversationId: string, before: number | null, limit: number): Promise<Message[]> {
    return this.read((st) => {
      memberConversation(st, userId, conversationId);
      return st.messages.page(conversationId, before, limit);
    });
  }

  async sendMessage(senderId: string, input: SendRequest, at: number): Promise<Sent> {
    const { result, appended } = await this.write((st, batch) => chat.sendMessage(st, batch, senderId, input, at));
    return { ...result, appended };
  }

  async createOrder(buyerId: string, itemId: string, at: number): Promise<OrderChange> {
    const { result, appended } = await this.write((st, batch) => orders.createOrder(st, batch, buyerId, itemId, at));
    return { order: result, appended };
  }
  async advanceOrder(userId: string, orderId: string, status: "shipped" | "received", at: number): Promise<OrderChange> {
    const { result, appended } = await this.write((st, batch) => orders.advanceOrder(st, batch, userId, orderId, status, at));
    return { order: result, appended };
  }
  async getOrder(userId: string, orderId: string): Promise<Order> {
    return orders.partyOrder(this.st, userId, orderId);
  }

  async heads(userId: string): Promise<Versions> {
    return this.st.sync.heads(userId);
  }
  async pull(userId: string, d: Domain, after: number, limit: number): Promise<PullResponse> {
    return this.read((st) => st.sync.pull(userId, d, after, limit));
  }
  async snapshot(userId: string): Promise<Snapshot> {
    return this.read((st) => {
      const conversations = listSummaries(st, userId);
      const messages: Snapshot["messages"] = {};
      for (const s of conversations) {
        messages[s.conversationId] = st.messages.page(s.conversationId, null, SNAPSHOT_MESSAGES_PER_CONVERSATION);
      }
      return { heads: st.sync.heads(userId), conversations, messages };
    });
  }

  /** Acks only move forward and never past the head (a version that doesn't exist can't be applied). */
  async ack(userId: string, deviceId: string, acks: Partial<Versions>, at: number): Promise<AckResult> {
    const { result, appended } = await this.write((st, batch) => {
      const device = st.devices.get(deviceId);
      if (!device || device.userId !== userId) throw CourierError.forbidden("Unknown device; register it first.");
      st.devices.touch(deviceId, at);
      const before = st.sync.deviceAcks(deviceId);
      const heads = st.sync.heads(userId);
      for (const d of DOMAINS) {
        const v = Math.min(acks[d] ?? 0, heads[d]);
        if (v <= before[d]) continue;
        st.sync.setAck(deviceId, d, v);
        if (d === "chat") chat.deliveredOnAck(st, batch, userId, before.chat, v, at);
      }
      return st.sync.deviceAcks(deviceId);
    });
    return { acks: result, appended };
  }

  async deviceAcks(userId: string, deviceId: string): Promise<Versions> {
    return this.read((st) => (st.devices.get(deviceId)?.userId === userId ? st.sync.deviceAcks(deviceId) : zeroVersions()));
  }

  async appendEntries(entries: NewEntry[], at: number): Promise<Appended> {
    const written = await this.write((st, batch) => {
      for (const e of entries) st.sync.append(batch, e.userId, e.d, e.k, e.data, at);
    });
    return written.appended;
  }

  // web push (server/push/)
  async pushVapidKeys(candidate: VapidKeys, at: number): Promise<VapidKeys> {
    return (await this.write((st) => st.push.vapidKeys(candidate, at))).result;
  }
  async pushTargets(userId: string, now: number): Promise<PushTarget[]> {
    return this.st.push.targets(userId, now);
  }
  async pushSubscription(deviceId: string): Promise<StoredPushSubscription | null> {
    return this.st.push.subscription(deviceId);
  }
  async dropPushSubscription(deviceId: string, endpoint: string): Promise<boolean> {
    return (await this.write((st) => st.push.drop(deviceId, endpoint))).result;
  }
  async releasePushEndpoint(endpoint: string, exceptDeviceId: string): Promise<number> {
    return (await this.write((st) => st.push.releaseEndpoint(endpoint, exceptDeviceId))).result;
  }
  async pushConversation(userId: string, conversationId: string): Promise<PushConversation | null> {
    return this.st.push.conversation(userId, conversationId);
  }
  async getPushPreferences(userId: string): Promise<PushPreferences> {
    return this.st.push.preferences(userId);
  }
  async setPushPreferences(userId: string, prefs: PushPreferences, at: number): Promise<PushPreferences> {
    return (await this.write((st) => st.push.setPreferences(userId, prefs, at))).result;
  }
  async takePushQuota(userId: string, category: PushCategory, day: string, limit: number): Promise<boolean> {
    return (await this.write((st) => st.push.takeQuota(userId, category, day, limit))).result;
  }
  async recordPushNotice(notice: PushNoticeRecord): Promise<void> {
    await this.write((st) => st.push.recordNotice(notice));
  }
  async pushReceipt(id: string, event: PushReceiptEvent, since: number): Promise<PushReceiptResult> {
    return (await this.write((st) => st.push.receipt(id, event, since))).result;
  }
  async prunePush(noticesBefore: number, quotaDaysBefore: string): Promise<void> {
    await this.write((st) => st.push.prune(noticesBefore, quotaDaysBefore));
  }
  async openCampaign(campaign: NewCampaign, at: number): Promise<{ campaign: StoredCampaign; created: boolean }> {
    return (await this.write((st) => st.campaigns.open(campaign, at))).result;
  }
  async campaignStep(campaignId: string, limit: number, at: number): Promise<CampaignStep> {
    const { result, appended } = await this.write((st, batch) => {
      const { campaign, userIds } = st.campaigns.nextRecipients(campaignId, limit);
      const data = { campaignId: campaign.id, title: campaign.title, body: campaign.body, ...(campaign.url !== undefined ? { url: campaign.url } : {}) };
      for (const userId of userIds) st.sync.append(batch, userId, "marketing", "promo", data, at);
      return campaign;
    });
    return { campaign: result, appended };
  }

  // follows (server/users/)
  async follow(followerId: string, followeeId: string, at: number): Promise<FollowChange> {
    const { result, appended } = await this.write((st, batch) => {
      const followee = st.users.get(followeeId);
      if (!followee) throw CourierError.notFound("No such user.");
      const follower = st.users.get(followerId);
      const change = st.follows.follow(followerId, followeeId, at);
      if (change?.notify && follower) st.sync.append(batch, followeeId, "system", "notice", { type: "follow", user: follower }, at);
      return { created: change !== null, followee };
    });
    return { ...result, appended };
  }
  async unfollow(followerId: string, followeeId: string, at: number): Promise<boolean> {
    return (await this.write((st) => {
      if (!st.users.get(followeeId)) throw CourierError.notFound("No such user.");
      return st.follows.unfollow(followerId, followeeId, at);
    })).result;
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.writes.flush();
    this.db.close();
  }
}
