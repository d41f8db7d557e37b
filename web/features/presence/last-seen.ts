import type { PresenceView } from "../../../shared/protocol/index.js";
import { clockTime } from "../../lib/time.js";

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
  if (view.online === true) return "Online";
  const at = view.lastSeenAt;
  if (at === null) return null;
  const ago = now - at;
  if (ago < MINUTE) return "Last seen just now";
  if (ago < 60 * MINUTE) return `Last seen ${Math.floor(ago / MINUTE)} min ago`;
  const today = startOfDay(now);
  if (at >= today) return `Last seen today at ${clockTime(at, locale)}`;
  const yesterday = new Date(today);
  yesterday.setDate(yesterday.getDate() - 1);
  if (at >= yesterday.getTime()) return `Last seen yesterday at ${clockTime(at, locale)}`;
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return `Last seen ${new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: sameYear ? undefined : "numeric" }).format(at)}`;
}
