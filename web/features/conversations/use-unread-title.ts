import { useEffect, useRef } from "react";
import { usePageVisible } from "../../lib/hooks.js";

export const APP_TITLE = "Courier";

/** "(3) Courier" with unread messages, "Courier" without. */
export function unreadTitle(count: number, base = APP_TITLE): string {
  return count > 0 ? `(${count}) ${base}` : base;
}

/**
 * Unread messages across conversations, a conversation I marked unread
 * counting one; muted ones don't count (their badge is grey too), nor
 * archived ones (the Archived folder shows theirs), group requests or groups
 * I am no longer in.
 */
export function totalUnread(summaries: readonly { unread: number; muted: boolean; membership?: string; markedUnread?: boolean; archived?: boolean }[]): number {
  return summaries.reduce((sum, s) => {
    if (s.muted || s.archived || (s.membership ?? "member") !== "member") return sum;
    return sum + (s.unread > 0 ? s.unread : s.markedUnread ? 1 : 0);
  }, 0);
}

const ICON_SHAPES = `<rect width='32' height='32' rx='8' fill='#2563eb'/><path d='M8 10h16v10H14l-6 4z' fill='white'/>`;

/** The tab icon as an SVG data URL; with unread messages, a red badge with their count. */
export function badgeIcon(count: number): string {
  const label = count > 99 ? "99+" : String(count);
  const badge =
    count > 0
      ? `<circle cx='23' cy='9' r='9' fill='#dc2626' stroke='white' stroke-width='1.5'/>` +
        `<text x='23' y='13' font-family='Arial,sans-serif' font-weight='700' font-size='${label.length > 2 ? 7 : label.length > 1 ? 9 : 12}' fill='white' text-anchor='middle'>${label}</text>`
      : "";
  return `data:image/svg+xml,${encodeURIComponent(`<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>${ICON_SHAPES}${badge}</svg>`)}`;
}

function setIcon(href: string): void {
  let link = document.querySelector<HTMLLinkElement>("link[rel~='icon']");
  if (!link) {
    link = document.createElement("link");
    link.rel = "icon";
    document.head.append(link);
  }
  link.href = href;
}

function paintTab(count: number): void {
  document.title = unreadTitle(count);
  setIcon(badgeIcon(count));
}

/** How long a higher count waits while the page is on screen before the tab shows it. */
export const VISIBLE_RISE_DELAY_MS = 1_000;

/**
 * What the tab shows, given the count as it changes. A message that lands in
 * the conversation open on screen is unread only until the read marker
 * clears it, a few milliseconds later: shown at once, every such message
 * would blink the tab's title and badge (and swap its icon twice). So while
 * the page is on screen a higher count waits `VISIBLE_RISE_DELAY_MS` and is
 * dropped if the count falls back meanwhile; a lower count, the first one,
 * and any count while the page is hidden (the badge is for then) show at
 * once.
 */
export class TabBadge {
  private shown: number | null = null;
  /** The latest count; a rise that is waiting shows this one when its time comes. */
  private target = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly paint: (count: number) => void = paintTab) {}

  show(count: number, visible: boolean): void {
    this.target = count;
    if (count === this.shown) return this.cancel();
    if (visible && this.shown !== null && count > this.shown) {
      // Rises in a row keep the first one's deadline: messages read as they land must not hold back another's count.
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.apply(this.target);
      }, VISIBLE_RISE_DELAY_MS);
      return;
    }
    this.cancel();
    this.apply(count);
  }

  /** Back to plain (sign-out). */
  clear(): void {
    this.cancel();
    this.apply(0);
  }

  private apply(count: number): void {
    this.shown = count;
    this.paint(count);
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Keeps the tab's title ("(3) Courier") and icon badge in step with `count`,
 * so a tab in the background says there is something new (TabBadge); back to
 * plain on unmount (sign-out).
 */
export function useUnreadTitle(count: number | undefined): void {
  const visible = usePageVisible();
  const badge = useRef<TabBadge | null>(null);
  // NOTE: this effect must stay before the next one, which needs the badge on the first render.
  useEffect(() => {
    const made = new TabBadge();
    badge.current = made;
    return () => made.clear();
  }, []);
  useEffect(() => {
    if (count !== undefined) badge.current?.show(count, visible);
  }, [count, visible]);
}
