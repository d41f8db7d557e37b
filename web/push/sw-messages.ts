import type { PushPayload } from "../../shared/protocol/push.js";

/** Messages between the service worker and Courier tabs. */

/** SW → tab: show this address (a notification was clicked). */
export interface NavigateMessage {
  type: "courier:navigate";
  url: string;
}

/** SW → tab, with a reply port: which conversation is on screen? */
export interface ShowingQuery {
  type: "courier:showing?";
}

/** Tab → SW, on the query's port. */
export interface ShowingAnswer {
  conversationId: string | null;
  visible: boolean;
}

/** SW → tab: the browser replaced the push subscription; tell the server the new one. */
export interface SubscriptionChanged {
  type: "courier:subscription-changed";
}

export type SwToPage = NavigateMessage | ShowingQuery | SubscriptionChanged;

/**
 * Tab → SW: a message was recalled (the `recall` entry reached this live
 * device, which gets no push for it): replace a notification that shows it,
 * as a recall push would. `payload` is a `recallNotice`.
 */
export interface RecalledMessage {
  type: "courier:recalled";
  payload: PushPayload;
}

/**
 * Tab → SW: the language the app shows (on load and on every change), so
 * the few words the worker writes itself follow it (web/sw/sw.ts `WORDS`).
 */
export interface LanguageMessage {
  type: "courier:language";
  language: "en" | "zh";
}

export function isSwToPage(data: unknown): data is SwToPage {
  if (typeof data !== "object" || data === null) return false;
  const { type, url } = data as { type?: unknown; url?: unknown };
  return (type === "courier:navigate" && typeof url === "string") || type === "courier:showing?" || type === "courier:subscription-changed";
}
