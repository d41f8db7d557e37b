import type { ConversationType, PushCategory, PushPreferences, User } from "../../shared/protocol/index.js";
import type { Appended } from "./storage.js";

/**
 * Storage shapes of Web Push (server/push/) and follows (server/users/).
 * The methods are grouped in `Storage` under "web push" and "follows".
 */

/** The server's VAPID key pair, base64url (public: 65-byte P-256 point; private: 32-byte scalar). */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** A push subscription as the device sent it (validated on the way in). */
export interface StoredPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** One of a user's devices, as the push service sees it. */
export interface PushTarget {
  deviceId: string;
  subscription: StoredPushSubscription | null;
  lastSeen: number;
  /** The session the device last used is still valid (a signed-out browser gets no notifications). */
  signedIn: boolean;
}

/** What a notification about a conversation needs to know, for one member. */
export interface PushConversation {
  type: ConversationType;
  title: string | null;
  /** The item's title, for item conversations. */
  itemTitle: string | null;
  muted: boolean;
  readSeq: number;
}

/** A (member, conversation) pair, as the batched push reads ask for it (`PushRepo.conversationsOf`). */
export interface MemberPair {
  userId: string;
  conversationId: string;
}

/** `PushConversation` with the pair it answers. */
export type PushConversationOf = PushConversation & MemberPair;

/** A (blocker, blocked) pair (`SafetyRepo.blockedAmong`). */
export interface BlockPair {
  blockerId: string;
  blockedId: string;
}

export interface PushNoticeRecord {
  id: string;
  userId: string;
  category: PushCategory;
  at: number;
}

export type PushReceiptEvent = "displayed" | "clicked";

/** `counted`: first report of this (id, event); `repeat`: already counted; `unknown`: not issued, or too old. */
export type PushReceiptResult = { status: "counted"; category: PushCategory } | { status: "repeat" | "unknown" };

export type { PushPreferences };

export interface FollowChange {
  /** False when the follow already existed (idempotent). */
  created: boolean;
  /** The `notice {type: "follow", user}` entry for the followed user, if one was appended. */
  appended: Appended;
  followee: User;
}

/** A marketing campaign and how far it has gone out (server/admin/routes.ts). */
export interface StoredCampaign {
  id: string;
  /** The request's Idempotency-Key, if it gave one. */
  key: string | null;
  /** A hash of title, body and url: a key reused for other content is refused. */
  fingerprint: string;
  title: string;
  body: string;
  url?: string;
  /** The last user id (in id order) the campaign has reached; null before the first. */
  sentThrough: string | null;
  recipients: number;
  done: boolean;
  createdAt: number;
}

/** What opening a campaign stores; the rest starts empty. */
export type NewCampaign = Pick<StoredCampaign, "id" | "key" | "fingerprint" | "title" | "body" | "url">;

export interface CampaignStep {
  campaign: StoredCampaign;
  /** The entries appended by this step; empty when the campaign was (or is now) done. */
  appended: Appended;
}
