import type {
  ConversationType,
  CreateItem,
  DeviceRegister,
  Domain,
  Entry,
  Item,
  ItemState,
  MemberRole,
  Membership,
  Command,
  CommandResult,
  DeviceDiagnostics,
  Message,
  Offer,
  OfferStatus,
  Order,
  OrderStatus,
  PushCategory,
  Report,
  SettingsPatch,
  User,
  Versions,
} from "../../shared/protocol/index.js";
import type {
  BlockPair,
  MemberPair,
  NewCampaign,
  PushConversation,
  PushConversationOf,
  PushNoticeRecord,
  PushPreferences,
  PushReceiptEvent,
  PushReceiptResult,
  PushTarget,
  StoredCampaign,
  StoredPushSubscription,
  VapidKeys,
} from "./push-types.js";
import type { MediaRepo } from "./media-types.js";
import type { NodeMetricsRepo, TraceRepo } from "./trace-types.js";

/**
 * The engine-neutral storage interface. Product rules (server/<feature>/*.ts)
 * are written once against these repositories inside `storage.write(tx => …)`
 * or `storage.read(r => …)`; an engine (sqlite/, postgres/) only stores and
 * finds. Nothing here decides a rule: a repository method is one statement's
 * worth of work (an engine may answer it synchronously, so rules always
 * `await`).
 *
 * Lock order, so that concurrent writes queue instead of deadlocking: a
 * device, a user's row, an item, its offers or an order, then a conversation (`lock`, or
 * `nextSeq`; a send locks it before checking membership), then members'
 * rows (`lockMember`, advancing positions), then heads (one `log.append`
 * per rule where it can be: it locks every head it touches in user-id
 * order). PostgreSQL runs a transaction that deadlocked anyway again.
 *
 * Inside `write`, the function must await only its repositories: the engine
 * may hold a lock (SQLite) or a connection (PostgreSQL) across it, and may run
 * it again after a conflict it can resolve by retrying (a deadlock, a
 * concurrent insert of the same unique key), so it must not have other side
 * effects.
 */

/** A value now or later: SQLite answers synchronously, PostgreSQL over the network. */
export type Answer<T> = T | Promise<T>;

/** Entries appended for one user by one transaction, ascending per domain. */
export interface UserEntries {
  userId: string;
  entries: Entry[];
}
export type Appended = UserEntries[];

/** What a write resolves with, once committed (never before). */
export interface Committed<T> {
  result: T;
  appended: Appended;
}

export interface WriteOptions {
  /**
   * Bulk work that must not hold up people (a campaign step): SQLite commits
   * it in a transaction of its own, when no other write is waiting (or after
   * 8 groups that went first); PostgreSQL, where writes do not share a
   * transaction, runs it as any other.
   */
  background?: boolean;
}

export interface Engine {
  readonly kind: "sqlite" | "postgres";
  /** Reads; several statements in one `read` see one consistent state. */
  read<T>(fn: (r: Repos) => Promise<T>): Promise<T>;
  /** One transaction: all of `fn`'s writes and appends commit together, or none. */
  write<T>(fn: (tx: Repos) => Promise<T>, opts?: WriteOptions): Promise<Committed<T>>;
  close(): Promise<void>;
}

export interface Repos {
  users: UserRepo;
  sessions: SessionRepo;
  devices: DeviceRepo;
  items: ItemRepo;
  conversations: ConversationRepo;
  messages: MessageRepo;
  orders: OrderRepo;
  offers: OfferRepo;
  log: EntryLog;
  push: PushRepo;
  follows: FollowRepo;
  campaigns: CampaignRepo;
  search: SearchRepo;
  commands: CommandRepo;
  /** Photos (server/media/). */
  media: MediaRepo;
  safety: SafetyRepo;
  /** The message trace (issue 15, server/observability/trace.ts). */
  trace: TraceRepo;
  /** Each process's latest metrics snapshot (issue 15, the dashboard). */
  nodeMetrics: NodeMetricsRepo;
}

// ── identity ────────────────────────────────────────────────────────────────

export interface StoredUser extends User {
  passwordHash: string;
}

export interface NewUser {
  username: string;
  displayName: string;
  passwordHash: string;
  at: number;
}

export interface UserRepo {
  /** Fails on a taken username only through a race the engine retries; rules check first. */
  insert(user: NewUser & { id: string }): Answer<void>;
  byUsername(username: string): Answer<StoredUser | null>;
  get(id: string): Answer<User | null>;
  /** `get`, holding the row until the transaction ends (what one user does at once takes turns). */
  lock(id: string): Answer<User | null>;
  /** The users that exist among `ids`, in no particular order. */
  getMany(ids: readonly string[]): Answer<User[]>;
  /** Name contains `q` (literally, case-insensitive for ASCII), prefix matches first, then by username. */
  search(q: string, excludeId: string, limit: number): Answer<User[]>;
  /** Ids above `afterId` (in id order) of users created at or before `createdBy`. */
  idsAfter(afterId: string, createdBy: number, limit: number): Answer<string[]>;
  /** Presence (server/presence/): when the user was last seen and whether they show it; null if no such user. */
  presence(id: string): Answer<UserPresence | null>;
  /** Raises last seen to `at`, never lowers it (processes close their connections in any order). */
  seen(id: string, at: number): Answer<void>;
  setShowOnline(id: string, show: boolean): Answer<void>;
  /** Account settings (issue 17): a new display name. */
  setDisplayName(id: string, displayName: string): Answer<void>;
  /** Account settings (issue 17): a new password's hash. */
  setPasswordHash(id: string, passwordHash: string): Answer<void>;
  /** Whether `a` and `b` are both active members of some conversation both can see (a group, or a chat with a message in it). */
  shareConversation(a: string, b: string): Answer<boolean>;
}

export interface UserPresence {
  lastSeenAt: number | null;
  showOnline: boolean;
}

export interface NewSession {
  tokenHash: string;
  userId: string;
  deviceId: string | null;
  at: number;
  expiresAt: number;
}

export interface SessionInfo {
  sessionId: string;
  user: User;
  expiresAt: number;
}

export interface SessionRepo {
  insert(session: NewSession & { id: string }): Answer<void>;
  find(tokenHash: string, now: number): Answer<SessionInfo | null>;
  delete(sessionId: string): Answer<void>;
  deleteExpired(now: number): Answer<void>;
  bindDevice(sessionId: string, deviceId: string): Answer<void>;
  /** Ids of the user's sessions that spoke for the device. */
  ofDevice(userId: string, deviceId: string): Answer<string[]>;
  deleteOfDevice(userId: string, deviceId: string): Answer<void>;
  /** Ids of every session of the user, bound to a device or not. */
  ofUser(userId: string): Answer<string[]>;
  deleteOfUser(userId: string): Answer<void>;
  /** Those of `ids` that exist and have not expired at `now` (live connections are re-checked with it). */
  liveAmong(ids: readonly string[], now: number): Answer<string[]>;  /**
   * Remembers those of `ids` that exist as revoked by the command `commandId`
   * (an administrator's `sign_out`), until they would have expired; call it
   * before deleting them. `deleteExpired` forgets them with the rest.
   */
  markRevoked(ids: readonly string[], commandId: string): Answer<void>;
  /** The id of the command that revoked the session of `tokenHash`, while that session would still be valid at `now`; else null. */
  revokedBy(tokenHash: string, now: number): Answer<string | null>;
}

// ── devices ─────────────────────────────────────────────────────────────────

/** A device as stored; `online`/`transport` are added by the hub. */
export interface StoredDevice {
  id: string;
  userId: string;
  sessionId: string | null;
  userAgent: string | null;
  capabilities: string[];
  notification: "granted" | "denied" | "default" | null;
  push: boolean;
  lastSeen: number;
  /** When the device was first registered (epoch ms). */
  registeredAt: number;
}

export interface DeviceRepo {
  get(deviceId: string): Answer<StoredDevice | null>;
  /** `get`, holding the row until the transaction ends (concurrent acks of one device queue). */
  lock(deviceId: string): Answer<StoredDevice | null>;
  /** Most recently seen first. */
  list(userId: string): Answer<StoredDevice[]>;
  insert(d: { id: string; userId: string; sessionId: string | null; at: number }): Answer<void>;
  /** Records activity, and the session that spoke for the device when given. */
  seen(deviceId: string, at: number, sessionId: string | null): Answer<void>;
  /** `push: "keep"` leaves the stored subscription as it is. */
  register(deviceId: string, r: DeviceRegister, push: StoredPushSubscription | null | "keep"): Answer<void>;
  count(userId: string): Answer<number>;
  /** The `n` least recently seen devices of the user other than `exceptId`. */
  leastRecent(userId: string, exceptId: string, n: number): Answer<string[]>;
  /** Removes the device and its acks; false if it was not the user's. */
  delete(userId: string, deviceId: string): Answer<boolean>;
  /** Those of `ids` that are registered devices. */
  existingAmong(ids: readonly string[]): Answer<string[]>;
}

// ── catalogue and orders ────────────────────────────────────────────────────

export interface ItemRepo {
  insert(item: { id: string; sellerId: string; at: number } & CreateItem): Answer<void>;
  get(id: string): Answer<Item | null>;
  /** `get`, holding the row until the transaction ends. */
  lock(id: string): Answer<Item | null>;
  /**
   * The catalogue: listed and reserved listings (sold and withdrawn leave
   * it), newest first; only `seller.id`'s when given, in every status with `everyStatus`.
   */
  list(limit: number, seller?: { id: string; everyStatus: boolean }): Answer<Item[]>;
  /** The stored state (the column's four values); an `Item` read back carries it as `status` + `availability` (rows.ts). */
  setStatus(id: string, status: ItemState): Answer<void>;
  /** The seller's edit (issue 14): only the fields given change. */
  update(id: string, patch: ItemPatch): Answer<void>;
}

export interface ItemPatch {
  title?: string;
  priceCents?: number;
  description?: string;
  status?: ItemState;
}

export interface OrderRepo {
  /** At most one order per item: a second one for the same item fails (the engine retries, the rule then sees it sold). */
  insert(order: Order): Answer<void>;
  get(id: string): Answer<Order | null>;
  /** `get`, holding the row until the transaction ends. */
  lock(id: string): Answer<Order | null>;
  ofConversation(conversationId: string): Answer<Order | null>;
  setStatus(id: string, status: OrderStatus, at: number): Answer<void>;
  /** Status "cancelled", by whom and why (issue 14). */
  cancel(id: string, by: string, reason: string | null, at: number): Answer<void>;
}

/** Offers in item chats (issue 14, docs/marketplace.md). */
export interface OfferRepo {
  /** At most one open offer per item and buyer: a second fails (the engine retries, the rule then sees the first). */
  insert(offer: Offer): Answer<void>;
  get(id: string): Answer<Offer | null>;
  /** `get`, holding the row until the transaction ends. */
  lock(id: string): Answer<Offer | null>;
  /** The open offer of this buyer on this item, if any. */
  openOf(itemId: string, buyerId: string): Answer<Offer | null>;
  /** Every open offer on the item, in id order, held until the transaction ends. */
  lockOpenOnItem(itemId: string): Answer<Offer[]>;
  /** Closes an offer (with the order it became, when accepted). */
  close(id: string, status: Exclude<OfferStatus, "open">, at: number, orderId?: string): Answer<void>;
  /** Newest first, at most `limit`: a conversation's, or an item's (only `buyerId`'s when given). */
  list(where: { conversationId: string } | { itemId: string; buyerId?: string }, limit: number): Answer<Offer[]>;
}

// ── conversations and messages ──────────────────────────────────────────────

export interface ConversationRecord {
  id: string;
  type: ConversationType;
  itemId: string | null;
  title: string | null;
  /** Makes direct (pair) and item (item + buyer) chats unique. */
  uniqueKey: string | null;
  lastSeq: number;
  at: number;
}

/** Who joins, as what; `addedBy` null for the creator and the opener of a direct or item chat (its peer's names the opener). */
export interface NewMember {
  userId: string;
  role: MemberRole;
  state: Membership;
  addedBy: string | null;
}

export interface MemberRecord extends NewMember {
  conversationId: string;
  readSeq: number;
  deliveredSeq: number;
  muted: boolean;
  pinned: boolean;
  remark: string;
  label: string;
  archived: boolean;
  markedUnread: boolean;
}

export interface ConversationRepo {
  get(id: string): Answer<ConversationRecord | null>;
  byKey(uniqueKey: string): Answer<ConversationRecord | null>;
  /** Every conversation about a listing (one per buyer who asked). */
  ofItem(itemId: string): Answer<ConversationRecord[]>;
  /** `get`, holding the row until the transaction ends (membership changes of one group take turns). */
  lock(id: string): Answer<ConversationRecord | null>;
  /** Fails on a taken unique key only through a race the engine retries. A member listed twice joins once (the first). */
  insert(c: Omit<ConversationRecord, "lastSeq">, members: readonly NewMember[]): Answer<void>;
  /** The user's row in any state (gone ones included), or null if they never were a member. */
  member(conversationId: string, userId: string): Answer<MemberRecord | null>;
  /** `member`, holding the row until the transaction ends (receipts of one member take turns). */
  lockMember(conversationId: string, userId: string): Answer<MemberRecord | null>;
  /** Current members (state "member" or "request"), in the order they joined. */
  members(conversationId: string): Answer<MemberRecord[]>;
  /** People no longer current members (left, removed, declined) who posted here, in the order they joined: their messages keep a name. */
  formerPosters(conversationId: string): Answer<string[]>;
  /** Conversations where the user is a current member (or has a request open). */
  ofUser(userId: string): Answer<ConversationRecord[]>;
  /**
   * Adds a member, or brings a gone one back (joining now; their own settings
   * stay): read and delivered start at `readSeq`, so what came before is not unread.
   */
  join(conversationId: string, m: NewMember, readSeq: number, at: number): Answer<void>;
  setState(conversationId: string, userId: string, state: Membership): Answer<void>;
  setRole(conversationId: string, userId: string, role: MemberRole): Answer<void>;
  setTitle(conversationId: string, title: string): Answer<void>;
  /**
   * Whether `b` has posted in a conversation where `a` and `b` are both active
   * members (the consent rule, docs/groups.md): having a chat with someone
   * is not enough, since anyone can open one with anyone.
   */
  heardFrom(a: string, b: string): Answer<boolean>;
  /** The next contiguous seq; the conversation stays locked until the transaction ends. */
  nextSeq(conversationId: string): Answer<number>;
  /** Reading implies having received: both positions move, never backwards. */
  advanceRead(conversationId: string, userId: string, seq: number): Answer<void>;
  /** The sender of the message at `seq`: `advanceRead` to it, and marked as having posted here (`heardFrom`). */
  posted(conversationId: string, userId: string, seq: number): Answer<void>;
  advanceDelivered(conversationId: string, userId: string, seq: number): Answer<void>;
  updateSettings(conversationId: string, userId: string, patch: SettingsPatch): Answer<void>;
}

export interface MessageRepo {
  /** Unique on (sender, clientMsgId) and (conversation, seq), enforced by the engine. */
  insert(m: Message): Answer<void>;
  get(id: string): Answer<Message | null>;
  byClientId(senderId: string, clientMsgId: string): Answer<Message | null>;
  bySeq(conversationId: string, seq: number): Answer<Message | null>;
  /**
   * The `limit` messages just below `before`, ascending (the newest page when
   * before is null), without those `viewerId` deleted for themselves (null:
   * every message).
   */
  page(conversationId: string, before: number | null, limit: number, viewerId: string | null): Answer<Message[]>;
  /** Members (other than `excludeId`) who sent a message with seq in (after, upTo]. */
  sendersBetween(conversationId: string, after: number, upTo: number, excludeId: string): Answer<string[]>;
  /** Messages after `readSeq` not sent by `userId`, nor deleted by them for themselves. */
  unread(conversationId: string, readSeq: number, userId: string): Answer<number>;
  /** The content is gone from the row: body '', recalled, recalled at `at`. */
  recall(id: string, at: number): Answer<void>;
  /** Delete for me; false if `userId` had already hidden it. */
  hide(userId: string, m: Message, at: number): Answer<boolean>;
  /** Who deleted `m` for themselves, among everyone who ever was a member of its conversation. */
  hiders(m: Message): Answer<string[]>;
}

// ── the entry log ───────────────────────────────────────────────────────────

/**
 * The place of the message an entry carries, kept beside the entry: a msg
 * entry's (for receipts), a conv entry's lastMessage (so a recall finds it).
 */
export interface MessageRef {
  conversationId: string;
  seq: number;
}

/** An entry's version, kind and commit time, never its data; a `msg` entry's also where its message is. */
export interface EntryStamp {
  d: Domain;
  v: number;
  k: string;
  /** Commit time, epoch ms. */
  at: number;
  conversationId?: string;
  seq?: number;
  /** Committed before the device was registered: it holds it from its snapshot or a pull, not a delivery; metrics leave it out. */
  catchUp?: boolean;
}

export interface NewEntry {
  userId: string;
  d: Domain;
  k: string;
  data: unknown;
  ref?: MessageRef;
}

/**
 * Per (user, domain): a head and the last `ring` entries, versions 1, 2, 3…
 * with no gap or repeat however many transactions append at once; per device:
 * the versions it acknowledged.
 */
export interface EntryLog {
  /** Entries kept per (user, domain); older ones are trimmed. */
  readonly ring: number;
  /**
   * Appends in the order given, each with its (user, domain)'s next version;
   * only inside `write`. The entries are handed back by the write once
   * committed. Engines lock heads in one order (by user id), so concurrent
   * fan-outs do not deadlock.
   */
  append(entries: readonly NewEntry[], at: number): Answer<Entry[]>;
  head(userId: string, d: Domain): Answer<number>;
  heads(userId: string): Answer<Versions>;
  /** Kept entries with version in (after, after + limit], ascending; may start above after + 1 when trimmed. */
  range(userId: string, d: Domain, after: number, limit: number): Answer<Entry[]>;
  acks(deviceId: string): Answer<Versions>;
  /** Monotonic: an older version never replaces a newer one. */
  setAck(deviceId: string, d: Domain, v: number): Answer<void>;
  /**
   * Stamps of the kept entries in (after, upTo], ascending: the newest `limit`
   * of them (one range read of the primary key). What an ack newly covered,
   * for delivery times and the trace (server/observability/events.ts).
   */
  ackedEntries(userId: string, d: Domain, after: number, upTo: number, limit: number): Answer<EntryStamp[]>;
  /** Per conversation, the highest message seq among the user's msg entries in (after, upTo]. */
  messageSeqsBetween(userId: string, after: number, upTo: number): Answer<MessageRef[]>;
  /**
   * Every kept entry that carries the message at `ref` (a `msg` entry, or a
   * `conv` entry whose summary's lastMessage it is, both appended with that
   * ref) now carries `message` instead: every member's copies, or only
   * `userId`'s. Content gone from a message is gone from the log too.
   */
  rewriteMessage(ref: MessageRef, message: Message, userId: string | null): Answer<void>;
}

// ── web push, follows, campaigns ────────────────────────────────────────────

export interface PushRepo {
  /** The stored pair, or `candidate` stored now if there is none (the first process to ask wins). */
  vapidKeys(candidate: VapidKeys, at: number): Answer<VapidKeys>;
  /** Every device of the user with its subscription (or null), last activity and sign-in state. */
  targets(userId: string, now: number): Answer<PushTarget[]>;
  subscription(deviceId: string): Answer<StoredPushSubscription | null>;
  /** Clears the device's subscription if it is still `endpoint`. */
  drop(deviceId: string, endpoint: string): Answer<boolean>;
  /** Clears `endpoint` from every other device; returns how many. */
  releaseEndpoint(endpoint: string, exceptDeviceId: string): Answer<number>;
  /** Type, title, mute and read position of a conversation for one member; null if not a member. */
  conversation(userId: string, conversationId: string): Answer<PushConversation | null>;
  /** `targets` of many users in one statement (issue 16: one read per fan-out): every user of `userIds` is a key (no devices: empty). */
  targetsOf(userIds: readonly string[], now: number): Answer<Map<string, PushTarget[]>>;
  /** `conversation` of many pairs in one statement: only the pairs whose user is a member (others: as null). */
  conversationsOf(pairs: readonly MemberPair[]): Answer<PushConversationOf[]>;
  preferences(userId: string): Answer<PushPreferences>;
  setPreferences(userId: string, prefs: PushPreferences, at: number): Answer<void>;
  /** One unit of the (user, category, day) quota, atomically; false when `limit` is used up. */
  takeQuota(userId: string, category: PushCategory, day: string, limit: number): Answer<boolean>;
  recordNotice(notice: PushNoticeRecord): Answer<void>;
  /** Counts a receipt for a notification issued at or after `since`, once per (id, event). */
  receipt(id: string, event: PushReceiptEvent, since: number): Answer<PushReceiptResult>;
  /** Forgets notification ids issued before `noticesBefore` and quota days before `quotaDaysBefore`. */
  prune(noticesBefore: number, quotaDaysBefore: string): Answer<void>;
}

export interface FollowRecord {
  active: boolean;
  noticedAt: number | null;
}

export interface FollowRepo {
  /** Whether `followerId` follows `followeeId` now. */
  follows(followerId: string, followeeId: string): Answer<boolean>;
  /** Holds the row until the transaction ends. */
  lock(followerId: string, followeeId: string): Answer<FollowRecord | null>;
  /** A new follow; fails on an existing one only through a race the engine retries. */
  insert(followerId: string, followeeId: string, at: number, noticedAt: number | null): Answer<void>;
  /** Active again; `noticedAt` null keeps the last notice time. */
  reactivate(followerId: string, followeeId: string, at: number, noticedAt: number | null): Answer<void>;
  /** True if an active follow ended. */
  deactivate(followerId: string, followeeId: string, at: number): Answer<boolean>;
}

export interface CampaignRepo {
  /** The campaign stored under `c.key` (created: false), or `c` stored now. Without a key, always stored anew. */
  open(c: NewCampaign, at: number): Answer<{ campaign: StoredCampaign; created: boolean }>;
  /** Holds the row until the transaction ends: two runners of one campaign take turns. */
  lock(id: string): Answer<StoredCampaign | null>;
  progress(id: string, sentThrough: string, recipients: number): Answer<void>;
  finish(id: string): Answer<void>;
}

// ── search and commands (docs/messages.md) ──────────────────────────────────

/** Where a search page ends: results older than this come next (newest first by at, then conversation, then seq). */
export interface SearchCursor {
  at: number;
  conversationId: string;
  seq: number;
}

/** What a bounded scan found: every match at or after `horizon`; null when it reached the oldest message. */
export interface ScanPage {
  messages: Message[];
  horizon: SearchCursor | null;
}

export interface SearchRepo {
  /** Conversations where the user is an active member (what a search of all conversations covers), with their last seq. */
  activeConversations(userId: string): Answer<{ id: string; lastSeq: number }[]>;
  /**
   * Messages whose body contains `needle` (already `searchNormalize`d) in the
   * given conversations, never recalled ones nor ones `userId` hid, newest
   * first, strictly older than `before` when given; at most `limit`. Through
   * the trigram index: only for an `indexable` needle.
   */
  find(userId: string, needle: string, conversationIds: readonly string[], before: SearchCursor | null, limit: number): Answer<Message[]>;
  /** Whether the trigram index can serve `needle` (else `find` would read every row: the rule scans instead). */
  indexable(needle: string): Answer<boolean>;
  /**
   * `find` by reading messages newest first instead of an index, at most
   * `windows[i]` of `conversationIds[i]` (below `before`): the newest `limit`
   * matches at or after `horizon`, the newest place where a conversation's
   * reading stopped short (null: every conversation was read to its start).
   */
  scan(
    userId: string,
    needle: string,
    conversationIds: readonly string[],
    before: SearchCursor | null,
    limit: number,
    windows: readonly number[],
  ): Answer<ScanPage>;
}

export interface CommandRepo {
  insert(c: Command): Answer<void>;
  get(id: string): Answer<Command | null>;
  /** Replaces the device's earlier report of this command. */
  report(commandId: string, result: CommandResult): Answer<void>;
  results(commandId: string): Answer<CommandResult[]>;
  /** The latest `diagnostics` result per device, newest first: of `userId`'s devices, or of everyone's when null (the dashboard). */
  latestDiagnostics(userId: string | null, limit: number): Answer<DeviceDiagnostics[]>;
}

// ── safety: blocks and reports (issue 14, server/safety/) ──────────────────

/** Where a page of reports ends: the next page holds older ones (newest first by at, then id). */
export interface ReportCursor {
  at: number;
  id: string;
}

export interface SafetyRepo {
  /** A new block; false (nothing changed) when `blockerId` already blocks `blockedId`. */
  block(blockerId: string, blockedId: string, at: number): Answer<boolean>;
  /** False when there was no such block. */
  unblock(blockerId: string, blockedId: string): Answer<boolean>;
  /** Everyone `blockerId` blocks, oldest block first. */
  blockedBy(blockerId: string): Answer<string[]>;
  /** Whether `blockerId` blocks `blockedId`. */
  blocks(blockerId: string, blockedId: string): Answer<boolean>;
  /** `blocks` of many pairs in one statement: the pairs of `pairs` where the blocker blocks the blocked (one way), each once. */
  blockedAmong(pairs: readonly BlockPair[]): Answer<BlockPair[]>;
  /** Whether either of the two blocks the other. */
  eitherWay(a: string, b: string): Answer<boolean>;
  insertReport(report: Report): Answer<void>;
  /** Newest first, strictly older than `before` when given. */
  reports(before: ReportCursor | null, limit: number): Answer<Report[]>;
}
