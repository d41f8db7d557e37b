import { locale as currentLocale, t } from "../i18n/index.js";
import { CLOCK, DAY, formatter, relativeLabel, shortDate as shortDateIn, startOfDay, type TimeWords } from "./relative-time.js";

/** The words of a relative time in the app's language. */
export const timeWords: TimeWords = {
  now: () => t("time.now"),
  minutes: (count) => t("time.minutes", { count }),
  yesterday: () => t("time.yesterday"),
};

/** Short, list-friendly: "now", "5 min", "5:42 PM", "Yesterday", "Mon", "Mar 12", "Mar 12, 2024" (in the app's language). */
export function relativeTime(at: number, now: number, locale = currentLocale()): string {
  return relativeLabel(at, now, timeWords, locale);
}

/** "Mar 12" this year, "Mar 12, 2024" before (in the app's language). */
export function shortDate(at: number, now: number, locale = currentLocale()): string {
  return shortDateIn(at, now, locale);
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

export function dayKey(at: number): number {
  return startOfDay(at);
}
