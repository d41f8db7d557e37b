import {
  type ConversationType,
  type Domain,
  type Item,
  itemWire,
  type Media,
  type MemberRole,
  memberRoleSchema,
  type Membership,
  membershipSchema,
  type Message,
  messageKindSchema,
  type Offer,
  type OfferStatus,
  type Order,
  type OrderStatus,
  type PushCategory,
  pushCategorySchema,
  type User,
} from "../../shared/protocol/index.js";
import type { StoredCampaign, StoredPushSubscription } from "./push-types.js";
import type { StoredMedia } from "./media-types.js";
import type { ConversationRecord, EntryStamp, MemberRecord, StoredDevice } from "./tx.js";

/**
 * Row shapes as the engines return them (the same column names on both), and
 * their mapping to what the repositories answer. A flag is 0/1 in SQLite and
 * a boolean in PostgreSQL; optional fields are left out, never undefined.
 */

type Flag = number | boolean;

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
}

export interface ItemRow {
  id: string;
  seller_id: string;
  title: string;
  price_cents: number;
  description: string;
  status: string;
  at: number;
  /** The listing's photos (JSON of Media[]), null for none (server/media/). */
  photos: string | null;
}

export interface OrderRow {
  id: string;
  item_id: string;
  conversation_id: string;
  buyer_id: string;
  seller_id: string;
  status: string;
  at: number;
  price_cents: number | null;
  offer_id: string | null;
  cancelled_by: string | null;
  reason: string | null;
}

export interface OfferRow {
  id: string;
  item_id: string;
  conversation_id: string;
  buyer_id: string;
  seller_id: string;
  by_id: string;
  price_cents: number;
  status: string;
  counter_of: string | null;
  order_id: string | null;
  at: number;
}

export interface ConversationRow {
  id: string;
  type: string;
  item_id: string | null;
  title: string | null;
  unique_key: string | null;
  last_seq: number;
  at: number;
}

export interface MemberRow {
  conversation_id: string;
  user_id: string;
  read_seq: number;
  delivered_seq: number;
  muted: Flag;
  pinned: Flag;
  remark: string;
  label: string;
  archived: Flag;
  marked_unread: Flag;
  role: string;
  state: string;
  added_by: string | null;
}

export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  client_msg_id: string;
  kind: string;
  body: string;
  at: number;
  recalled: Flag;
  reply_to_id: string | null;
  reply_to_seq: number | null;
  /** kind "image": the photos (JSON of Media[]), null once recalled (server/media/). */
  media: string | null;
  /** kind "offer" (issue 14): the offer it announced */
  offer_id: string | null;
  offer_price_cents: number | null;
  offer_by: string | null;
  /** kind "location" (issue 14, Presence): the place, rounded; null once recalled. */
  location_lat: number | null;
  location_lng: number | null;
  location_label: string | null;
}

export interface DeviceRow {
  id: string;
  user_id: string;
  session_id: string | null;
  capabilities: string;
  user_agent: string | null;
  notification: string | null;
  push: string | null;
  last_seen: number;
  /** When the device was first registered (epoch ms). */
  at: number;
}

export interface CampaignRow {
  id: string;
  idempotency_key: string | null;
  fingerprint: string;
  title: string;
  body: string;
  url: string | null;
  sent_through: string | null;
  recipients: number;
  done: Flag;
  created_at: number;
}

export const toUser = (r: UserRow): User => ({ id: r.id, username: r.username, displayName: r.display_name });

export const toItem = (r: ItemRow): Item => ({
  id: r.id,
  sellerId: r.seller_id,
  title: r.title,
  priceCents: r.price_cents,
  description: r.description,
  // The column keeps the four states; the wire carries the contract's status plus `availability`.
  ...itemWire(r.status === "sold" || r.status === "reserved" || r.status === "withdrawn" ? r.status : "listed"),
  at: r.at,
  ...(r.photos ? { photos: JSON.parse(r.photos) as Media[] } : {}),
});

export const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  itemId: r.item_id,
  conversationId: r.conversation_id,
  buyerId: r.buyer_id,
  sellerId: r.seller_id,
  status: r.status as OrderStatus,
  at: r.at,
  ...(r.price_cents !== null ? { priceCents: r.price_cents } : {}),
  ...(r.offer_id !== null ? { offerId: r.offer_id } : {}),
  ...(r.cancelled_by !== null ? { cancelledBy: r.cancelled_by } : {}),
  ...(r.reason !== null ? { reason: r.reason } : {}),
});

export const toOffer = (r: OfferRow): Offer => ({
  id: r.id,
  itemId: r.item_id,
  conversationId: r.conversation_id,
  buyerId: r.buyer_id,
  sellerId: r.seller_id,
  by: r.by_id,
  priceCents: r.price_cents,
  status: r.status as OfferStatus,
  ...(r.counter_of !== null ? { counterOf: r.counter_of } : {}),
  ...(r.order_id !== null ? { orderId: r.order_id } : {}),
  at: r.at,
});

export const toConversationRecord = (r: ConversationRow): ConversationRecord => ({
  id: r.id,
  type: r.type as ConversationType,
  itemId: r.item_id,
  title: r.title,
  uniqueKey: r.unique_key,
  lastSeq: r.last_seq,
  at: r.at,
});

export const toMember = (r: MemberRow): MemberRecord => ({
  conversationId: r.conversation_id,
  userId: r.user_id,
  readSeq: r.read_seq,
  deliveredSeq: r.delivered_seq,
  muted: Boolean(r.muted),
  pinned: Boolean(r.pinned),
  remark: r.remark,
  label: r.label,
  archived: Boolean(r.archived),
  markedUnread: Boolean(r.marked_unread),
  role: toRole(r.role),
  state: toMembership(r.state),
  addedBy: r.added_by,
});

/**
 * Values a newer server may add read as the least privilege: a plain member, gone.
 * The schemas are built once: `.catch()` makes a new schema, and these run for every member row read.
 */
const roleOrMember = memberRoleSchema.catch("member");
const membershipOrLeft = membershipSchema.catch("left");
const toRole = (text: string): MemberRole => roleOrMember.parse(text);
const toMembership = (text: string): Membership => membershipOrLeft.parse(text);

/** An offer message's reference as the three offer_* columns (nulls for any other kind). */
export function offerColumns(m: Pick<Message, "offer">): [string | null, number | null, string | null] {
  return m.offer ? [m.offer.id, m.offer.priceCents, m.offer.by] : [null, null, null];
}

/** A message's place as the three location_* columns (nulls for any other kind). */
export function locationColumns(m: Pick<Message, "location">): [number | null, number | null, string | null] {
  return m.location ? [m.location.lat, m.location.lng, m.location.label ?? null] : [null, null, null];
}

export function toMessage(r: MessageRow): Message {
  const m: Message = {
    id: r.id,
    conversationId: r.conversation_id,
    seq: r.seq,
    senderId: r.sender_id,
    clientMsgId: r.client_msg_id,
    kind: messageKindSchema.safeParse(r.kind).data ?? "text",
    body: r.body,
    at: r.at,
  };
  if (r.recalled) m.recalled = true;
  if (r.reply_to_id !== null && r.reply_to_seq !== null) m.replyTo = { id: r.reply_to_id, seq: r.reply_to_seq };
  if (r.media) m.media = JSON.parse(r.media) as Media[];
  if (r.offer_id !== null && r.offer_price_cents !== null && r.offer_by !== null) m.offer = { id: r.offer_id, priceCents: r.offer_price_cents, by: r.offer_by };
  if (typeof r.location_lat === "number" && typeof r.location_lng === "number" && !r.recalled) {
    m.location = { lat: r.location_lat, lng: r.location_lng, ...(r.location_label === null ? {} : { label: r.location_label }) };
  }
  return m;
}

export function toDevice(r: DeviceRow): StoredDevice {
  const notification = r.notification === "granted" || r.notification === "denied" || r.notification === "default" ? r.notification : null;
  return {
    id: r.id,
    userId: r.user_id,
    sessionId: r.session_id,
    userAgent: r.user_agent,
    capabilities: JSON.parse(r.capabilities) as string[],
    notification,
    push: r.push !== null,
    lastSeen: r.last_seen,
    registeredAt: Number(r.at),
  };
}

/** A stored subscription, or null for none or one an older version left malformed. */
export function parseSubscription(json: string | null): StoredPushSubscription | null {
  if (json === null) return null;
  try {
    const sub = JSON.parse(json) as Partial<StoredPushSubscription>;
    if (typeof sub.endpoint !== "string" || typeof sub.keys?.p256dh !== "string" || typeof sub.keys.auth !== "string") return null;
    return { endpoint: sub.endpoint, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } };
  } catch {
    return null;
  }
}

const categoryOrChat = pushCategorySchema.catch("chat");
export const toPushCategory = (text: string): PushCategory => categoryOrChat.parse(text);

export function toCampaign(row: CampaignRow): StoredCampaign {
  return {
    id: row.id,
    key: row.idempotency_key,
    fingerprint: row.fingerprint,
    title: row.title,
    body: row.body,
    ...(row.url !== null ? { url: row.url } : {}),
    sentThrough: row.sent_through,
    recipients: row.recipients,
    done: Boolean(row.done),
    createdAt: row.created_at,
  };
}

export interface MediaRow {
  id: string;
  owner_id: string;
  mime: string;
  bytes: number;
  width: number;
  height: number;
  thumb_bytes: number;
  thumb_width: number;
  thumb_height: number;
  at: number;
}

export const toStoredMedia = (r: MediaRow): StoredMedia => ({
  id: r.id,
  ownerId: r.owner_id,
  mime: r.mime,
  bytes: r.bytes,
  width: r.width,
  height: r.height,
  thumbBytes: r.thumb_bytes,
  thumbWidth: r.thumb_width,
  thumbHeight: r.thumb_height,
  at: r.at,
});

/** An entry without its data (`log.ackedEntries`): conversation_id and seq only for a msg entry. */
export interface StampRow {
  v: number;
  k: string;
  at: number;
  conversation_id: string | null;
  seq: number | null;
}

export function toStamp(d: Domain, r: StampRow): EntryStamp {
  const stamp: EntryStamp = { d, v: Number(r.v), k: r.k, at: Number(r.at) };
  if (r.conversation_id !== null && r.seq !== null) Object.assign(stamp, { conversationId: r.conversation_id, seq: Number(r.seq) });
  return stamp;
}
