import { useEffect, useRef, type KeyboardEvent } from "react";

const ITEM = '[data-testid="conversation-item"]';

/**
 * The conversation list by keyboard (issue 17): Arrow Up/Down, Home and End
 * move between conversations (Enter opens one, it is a link); and focus is
 * never lost when a row leaves the list (archived, blocked, a folder it no
 * longer fits): the row after it, else the one before, takes focus.
 */
export function useListKeyboard() {
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    const ul = list.current;
    if (!ul) return;
    /** The row that last had focus (its link, its "⋯", or a menu opened from it, which put focus back). */
    let lastRow: Element | null = null;
    const onFocusIn = (e: FocusEvent) => {
      lastRow = (e.target as Element).closest("li");
    };
    const observer = new MutationObserver((records) => {
      const focusLost = !document.activeElement || document.activeElement === document.body;
      for (const record of records) {
        for (const removed of record.removedNodes) {
          if (removed !== lastRow || !focusLost) continue;
          const next = [record.nextSibling, record.previousSibling].find((n): n is Element => n instanceof Element && n.isConnected);
          next?.querySelector<HTMLElement>(ITEM)?.focus();
          lastRow = null;
          return;
        }
      }
    });
    ul.addEventListener("focusin", onFocusIn);
    observer.observe(ul, { childList: true });
    return () => {
      ul.removeEventListener("focusin", onFocusIn);
      observer.disconnect();
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const items = [...(list.current?.querySelectorAll<HTMLElement>(ITEM) ?? [])];
    if (items.length === 0) return;
    const row = (document.activeElement as Element | null)?.closest("li");
    const index = items.findIndex((item) => item.closest("li") === row);
    let to: number;
    switch (e.key) {
      case "ArrowDown":
        to = index < 0 ? 0 : Math.min(items.length - 1, index + 1);
        break;
      case "ArrowUp":
        to = index < 0 ? 0 : Math.max(0, index - 1);
        break;
      case "Home":
        to = 0;
        break;
      case "End":
        to = items.length - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    items[to]?.focus();
  };

  return { ref: list, onKeyDown };
}
