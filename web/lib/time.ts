const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * One formatter per locale and options: building an Intl.DateTimeFormat costs
 * far more than formatting with one, and a message list formats every row.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ""}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(locale, options)));
  return f;
}

function startOfDay(at: number): number {
  const d = new Date(at);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Short, list-friendly: "now", "5 min", "14:05", "Yesterday", "Mon", "12 Mar", "12 Mar 2024". */
export function relativeTime(at: number, now: number, locale?: string): string {
  const diff = now - at;
  if (diff < MINUTE) return "now";
  if (diff < 60 * MINUTE) return `${Math.floor(diff / MINUTE)} min`;
  const today = startOfDay(now);
  if (at >= today) return formatter(locale, { hour: "2-digit", minute: "2-digit" }).format(at);
  if (at >= today - DAY) return "Yesterday";
  if (at >= today - 6 * DAY) return formatter(locale, { weekday: "short" }).format(at);
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return formatter(locale, { day: "numeric", month: "short", year: sameYear ? undefined : "numeric" }).format(at);
}

/** Day separator in a conversation: "Today", "Yesterday", "Monday, 12 March". */
export function dayLabel(at: number, now: number, locale?: string): string {
  const today = startOfDay(now);
  const day = startOfDay(at);
  if (day === today) return "Today";
  if (day === today - DAY) return "Yesterday";
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return formatter(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: sameYear ? undefined : "numeric",
  }).format(at);
}

export function clockTime(at: number, locale?: string): string {
  return formatter(locale, { hour: "2-digit", minute: "2-digit" }).format(at);
}

export function dayKey(at: number): number {
  return startOfDay(at);
}
