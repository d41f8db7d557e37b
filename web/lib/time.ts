import { locale as currentLocale, t } from "../i18n/index.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * One formatter per locale and options: building an Intl.DateTimeFormat costs
 * far more than formatting with one, and a message list formats every row.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(locale, options)));
  return f;
}

function startOfDay(at: number): number {
  const d = new Date(at);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/**
 * A clock time as the locale writes it: "9:36 AM" (en-US), "09:36" (en-GB,
 * zh-CN). The locale's own short style, not `hour: "2-digit"`, which forced
 * "09:36 AM" on 12-hour locales.
 */
const CLOCK: Intl.DateTimeFormatOptions = { timeStyle: "short" };

/** Short, list-friendly: "now", "5 min", "5:42 PM", "Yesterday", "Mon", "Mar 12", "Mar 12, 2024" (in the app's language). */
export function relativeTime(at: number, now: number, locale = currentLocale()): string {
  const diff = now - at;
  if (diff < MINUTE) return t("time.now");
  if (diff < 60 * MINUTE) return t("time.minutes", { count: Math.floor(diff / MINUTE) });
  const today = startOfDay(now);
  if (at >= today) return formatter(locale, CLOCK).format(at);
  if (at >= today - DAY) return t("time.yesterday");
  if (at >= today - 6 * DAY) return formatter(locale, { weekday: "short" }).format(at);
  return shortDate(at, now, locale);
}

/** Day separator in a conversation: "Today", "Yesterday", "Monday, 12 March". */
export function dayLabel(at: number, now: number, locale = currentLocale()): string {
  const today = startOfDay(now);
  const day = startOfDay(at);
  if (day === today) return t("time.today");
  if (day === today - DAY) return t("time.yesterday");
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return formatter(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: sameYear ? undefined : "numeric",
  }).format(at);
}

export function clockTime(at: number, locale = currentLocale()): string {
  return formatter(locale, CLOCK).format(at);
}

/** "Mar 12" this year, "Mar 12, 2024" before (in the app's language). */
export function shortDate(at: number, now: number, locale = currentLocale()): string {
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return formatter(locale, { day: "numeric", month: "short", year: sameYear ? undefined : "numeric" }).format(at);
}

export function dayKey(at: number): number {
  return startOfDay(at);
}
