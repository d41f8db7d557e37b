import { PUSH_CATEGORIES, type PushCategory } from "../../shared/protocol/index.js";

/** Why a notification was not sent to a device. */
export const DROP_REASONS = [
  /** The conversation is muted by the user. */
  "muted",
  /** The category's daily quota (marketing) is used up. */
  "quota",
  /** The device has no push subscription. */
  "no_subscription",
  /** The session the device last used has ended (signed out). */
  "signed_out",
  /** The device is live (on this process, or on another by cluster presence): the entry reaches it over its connection. */
  "live",
  /** Everything the notification would announce was read before it went out. */
  "read",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/**
 * Why the push service did not take a request: `expired` (404/410; the
 * subscription is deleted), `status_<code>` (any other answer, after retries
 * for 429/5xx), `network` (no answer: refused, reset, timed out), `blocked`
 * (the endpoint resolved to a non-public address), `invalid` (the request could
 * not be built, e.g. keys the encryption rejects).
 */
export type RejectReason = "expired" | "network" | "blocked" | "invalid" | `status_${number}`;

export interface CategoryFunnel {
  requested: number;
  accepted: number;
  rejected: number;
  dropped: number;
  displayed: number;
  clicked: number;
}

/** What `PushFunnel.snapshot()` returns: plain numbers, safe to serialise. */
export interface FunnelSnapshot {
  /** Push requests made (one per notification and device; a collapsed burst is one). */
  requested: number;
  /** Requests the push service accepted (2xx). */
  accepted: number;
  rejected: Partial<Record<RejectReason, number>>;
  dropped: Record<DropReason, number>;
  /** Events folded into a notification already waiting in its window (per device). */
  collapsed: number;
  /** Retries after a 429 or 5xx. */
  retries: number;
  /** Service-worker receipts, each (id, event) counted once. */
  displayed: number;
  clicked: number;
  byCategory: Record<PushCategory, CategoryFunnel>;
}

const zeroCategory = (): CategoryFunnel => ({ requested: 0, accepted: 0, rejected: 0, dropped: 0, displayed: 0, clicked: 0 });

/**
 * The Web Push funnel of this process: requested → accepted by the push
 * service → displayed → clicked, with what fell out at each step and why.
 * Beside `DeliveryMetrics` on the context (`ctx.pushFunnel`); the same plain
 * counters pattern, read through `snapshot()`.
 */
export class PushFunnel {
  requested = 0;
  accepted = 0;
  collapsed = 0;
  retries = 0;
  displayed = 0;
  clicked = 0;
  private readonly rejectedBy = new Map<RejectReason, number>();
  private readonly droppedBy = new Map<DropReason, number>(DROP_REASONS.map((r) => [r, 0]));
  private readonly byCategory = new Map<PushCategory, CategoryFunnel>(PUSH_CATEGORIES.map((c) => [c, zeroCategory()]));

  private cat(category: PushCategory): CategoryFunnel {
    return this.byCategory.get(category)!;
  }

  request(category: PushCategory): void {
    this.requested++;
    this.cat(category).requested++;
  }

  accept(category: PushCategory): void {
    this.accepted++;
    this.cat(category).accepted++;
  }

  reject(category: PushCategory, reason: RejectReason): void {
    this.rejectedBy.set(reason, (this.rejectedBy.get(reason) ?? 0) + 1);
    this.cat(category).rejected++;
  }

  drop(category: PushCategory, reason: DropReason, n = 1): void {
    if (n <= 0) return;
    this.droppedBy.set(reason, this.droppedBy.get(reason)! + n);
    this.cat(category).dropped += n;
  }

  receipt(category: PushCategory, event: "displayed" | "clicked"): void {
    this[event]++;
    this.cat(category)[event]++;
  }

  snapshot(): FunnelSnapshot {
    return {
      requested: this.requested,
      accepted: this.accepted,
      rejected: Object.fromEntries(this.rejectedBy),
      dropped: Object.fromEntries(this.droppedBy) as Record<DropReason, number>,
      collapsed: this.collapsed,
      retries: this.retries,
      displayed: this.displayed,
      clicked: this.clicked,
      byCategory: Object.fromEntries([...this.byCategory].map(([c, f]) => [c, { ...f }])) as Record<PushCategory, CategoryFunnel>,
    };
  }
}
