import type { PresenceView } from "../../../shared/protocol/index.js";
import { t } from "../../i18n/index.js";
import { clockTime, shortDate } from "../../lib/time.js";

const MINUTE = 60_000;

function startOfDay(at: number): number {
  const d = new Date(at);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/**
 * The header's line for someone's presence: "Online", "Last seen just now",
 * "Last seen 5 min ago", "Last seen today at 14:02", "Last seen yesterday
 * at 14:02", "Last seen 3 Dec". Null when unknown (hidden, or the server
 * can't tell and has no time).
 */
export function presenceText(view: PresenceView | null, now: number, locale?: string): string | null {
  if (!view) return null;
  if (view.online === true) return t("presence.online");
  const at = view.lastSeenAt;
  if (at === null) return null;
  const ago = now - at;
  if (ago < MINUTE) return t("presence.lastSeen.justNow");
  if (ago < 60 * MINUTE) return t("presence.lastSeen.minutes", { count: Math.floor(ago / MINUTE) });
  const today = startOfDay(now);
  // Times and dates in the app's language (web/lib/time.ts), unless a locale is given.
  if (at >= today) return t("presence.lastSeen.today", { time: clockTime(at, locale) });
  const yesterday = new Date(today);
  yesterday.setDate(yesterday.getDate() - 1);
  if (at >= yesterday.getTime()) return t("presence.lastSeen.yesterday", { time: clockTime(at, locale) });
  return t("presence.lastSeen.date", { date: shortDate(at, now, locale) });
}
