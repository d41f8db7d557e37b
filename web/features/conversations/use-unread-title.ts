import { useEffect } from "react";

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

/**
 * Keeps the tab's title ("(3) Courier") and icon badge in step with `count`,
 * so a tab in the background says there is something new; back to plain on
 * unmount (sign-out).
 */
export function useUnreadTitle(count: number | undefined): void {
  useEffect(() => {
    if (count === undefined) return;
    document.title = unreadTitle(count);
    setIcon(badgeIcon(count));
  }, [count]);
  useEffect(
    () => () => {
      document.title = APP_TITLE;
      setIcon(badgeIcon(0));
    },
    [],
  );
}
