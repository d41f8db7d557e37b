import { useLayoutEffect, type RefObject } from "react";

/**
 * Focus is never lost after an action (issue 17). A menu item runs after its
 * menu has gone, so whatever it opens cannot see what the person was on:
 * the menu hands that over here (`handFocus`) for the moment the item runs,
 * and a dialog the item opens takes it (`useFocusReturn`) to give focus back
 * there when it closes.
 */
let handed: HTMLElement | null = null;

/** What opened the menu whose item is running now; dropped after this task if no dialog took it. */
export function handFocus(opener: HTMLElement | null, run: () => void): void {
  handed = opener;
  try {
    run();
  } finally {
    setTimeout(() => {
      if (handed === opener) handed = null;
      // The item moved focus nowhere (it fell to <body> with the menu): back to what opened the menu.
      if (opener?.isConnected && (document.activeElement === null || document.activeElement === document.body)) opener.focus({ preventScroll: true });
    });
  }
}

/** The element focus was on before something took it over (null for <body>). */
export function focusedElement(): HTMLElement | null {
  const active = typeof document === "undefined" ? null : document.activeElement;
  return active instanceof HTMLElement && active !== document.body ? active : null;
}

/**
 * A modal <dialog> that React removes while open (nothing calls close(), so
 * the browser's own focus return never runs): focus goes back to what opened
 * it, the element a menu handed over or the one focused when it mounted.
 */
export function useFocusReturn(dialog: RefObject<HTMLDialogElement | null>): void {
  useLayoutEffect(() => {
    const opener = handed ?? focusedElement();
    handed = null;
    const el = dialog.current;
    return () => {
      const active = document.activeElement;
      const lost = active === null || active === document.body || (el?.contains(active) ?? false);
      if (el?.open) el.close();
      if (lost && opener?.isConnected) opener.focus({ preventScroll: true });
    };
  }, [dialog]);
}
