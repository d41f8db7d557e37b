import { createHash } from "node:crypto";
import type { PushCategory } from "../../shared/protocol/index.js";

/** RFC 8030 urgency values. */
export type Urgency = "very-low" | "low" | "normal" | "high";

export interface CategoryPolicy {
  urgency: Urgency;
  /** How long the push service keeps an undelivered message (seconds). */
  ttlSeconds: number;
}

const HOUR = 3600;

/**
 * What each category asks of the push service. Chat and order must arrive
 * (high urgency wakes a device on battery saver) within a day or three;
 * follows can wait for the device's next normal wake-up; marketing goes at the
 * push service's convenience and may wait a week.
 */
export const CATEGORY_POLICY: Record<PushCategory, CategoryPolicy> = {
  chat: { urgency: "high", ttlSeconds: 24 * HOUR },
  order: { urgency: "high", ttlSeconds: 72 * HOUR },
  follow: { urgency: "normal", ttlSeconds: 24 * HOUR },
  marketing: { urgency: "very-low", ttlSeconds: 7 * 24 * HOUR },
};

/** Receipts are accepted for notifications issued this long ago at most: the longest TTL plus a day. */
export const RECEIPT_WINDOW_MS = (7 * 24 + 24) * HOUR * 1000;

/**
 * The RFC 8030 Topic for a collapse key: at most 32 base64url characters,
 * derived by hashing so no id (or anything else) is readable by the push
 * service. A newer message with the same topic replaces an undelivered older one.
 */
export function topicFor(collapseKey: string): string {
  return createHash("sha256").update(collapseKey).digest().subarray(0, 24).toString("base64url");
}

/** The UTC day of `at`, as quotas count it. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}
