/**
 * Times as the conversation list shows them, with no dependency: the app
 * (time.ts, its words from i18n) and the boot script's first paint
 * (web/boot/first-paint.ts, its words saved with the paint) both label a time
 * with `relativeLabel`, so a first paint never says "5 min" for a message an
 * hour old.
 */
const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

/**
 * One formatter per locale and options: building an Intl.DateTimeFormat costs
 * far more than formatting with one, and a message list formats every row.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
export function formatter(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(locale, options)));
  return f;
}

export function startOfDay(at: number): number {
  const d = new Date(at);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/**
 * A clock time as the locale writes it: "9:36 AM" (en-US), "09:36" (en-GB,
 * zh-CN). The locale's own short style, not `hour: "2-digit"`, which forced
 * "09:36 AM" on 12-hour locales.
 */
export const CLOCK: Intl.DateTimeFormatOptions = { timeStyle: "short" };

/** The words a relative time needs, in the language in use. */
export interface TimeWords {
  now(): string;
  /** 1–59 */
  minutes(count: number): string;
  yesterday(): string;
}

/** Short, list-friendly: "now", "5 min", "5:42 PM", "Yesterday", "Mon", "Mar 12", "Mar 12, 2024". */
export function relativeLabel(at: number, now: number, words: TimeWords, locale: string): string {
  const diff = now - at;
  if (diff < MINUTE) return words.now();
  if (diff < 60 * MINUTE) return words.minutes(Math.floor(diff / MINUTE));
  const today = startOfDay(now);
  if (at >= today) return formatter(locale, CLOCK).format(at);
  if (at >= today - DAY) return words.yesterday();
  if (at >= today - 6 * DAY) return formatter(locale, { weekday: "short" }).format(at);
  return shortDate(at, now, locale);
}

/** "Mar 12" this year, "Mar 12, 2024" before. */
export function shortDate(at: number, now: number, locale: string): string {
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return formatter(locale, { day: "numeric", month: "short", year: sameYear ? undefined : "numeric" }).format(at);
}

