import { useEffect } from "react";

export const APP_TITLE = "Courier";

/** "(3) Courier" with unread messages, "Courier" without. */
export function unreadTitle(count: number, base = APP_TITLE): string {
  return count > 0 ? `(${count}) ${base}` : base;
}

/** Unread messages across conversations; muted ones don't count (their badge is grey too). */
export function totalUnread(summaries: readonly { unread: number; muted: boolean }[]): number {
  return summaries.reduce((sum, s) => (s.muted ? sum : sum + Math.max(0, s.unread)), 0);
}

/** Keeps the tab's title in step with `count`; back to plain "Courier" on unmount (sign-out). */
export function useUnreadTitle(count: number | undefined): void {
  useEffect(() => {
    if (count !== undefined) document.title = unreadTitle(count);
  }, [count]);
  useEffect(
    () => () => {
      document.title = APP_TITLE;
    },
    [],
  );
}
