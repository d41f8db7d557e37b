import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent } from "react";
import { createPortal } from "react-dom";
import { focusedElement, handFocus } from "./focus-return.js";

/**
 * A context menu for anything on screen (a conversation row, a message): the
 * ways to open it on a computer, a phone and a keyboard, and the menu itself
 * (roles menu/menuitem, arrow keys, Home/End, Escape, focus back where it was).
 */

/** How long a finger rests before the menu opens (as on the phones people know). */
export const LONG_PRESS_MS = 500;
/** A finger that moves further than this is scrolling, not pressing. */
const LONG_PRESS_SLOP_PX = 10;

export interface Point {
  x: number;
  y: number;
}

/** Below-left of an element: where a menu opened from it (keyboard, a "⋯" button) appears. */
export function pointBelow(el: Element): Point {
  const r = el.getBoundingClientRect();
  return { x: r.left + Math.min(24, r.width / 2), y: r.bottom };
}

/**
 * Handlers that open a menu: right-click (or the platform's context menu
 * gesture), a long press with a finger or pen, the ContextMenu key and
 * Shift+F10. The click that ends a long press is swallowed, so the press
 * does not also follow a link.
 */
export function useMenuTrigger(open: (at: Point, trigger: HTMLElement) => void) {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const start = useRef<Point | null>(null);
  const pressed = useRef(false);
  const cancel = () => {
    clearTimeout(timer.current);
    timer.current = undefined;
    start.current = null;
  };
  useEffect(() => cancel, []);
  return {
    onContextMenu(e: MouseEvent<HTMLElement>) {
      e.preventDefault();
      cancel();
      // From the keyboard, the event has no pointer position.
      const fromKeyboard = e.clientX === 0 && e.clientY === 0;
      open(fromKeyboard ? pointBelow(e.currentTarget) : { x: e.clientX, y: e.clientY }, e.currentTarget);
    },
    onKeyDown(e: KeyboardEvent<HTMLElement>) {
      if (e.key === "ContextMenu" || (e.key === "F10" && e.shiftKey)) {
        e.preventDefault();
        open(pointBelow(e.currentTarget), e.currentTarget);
      }
    },
    onPointerDown(e: PointerEvent<HTMLElement>) {
      if (e.pointerType === "mouse") return;
      cancel();
      pressed.current = false;
      const at = { x: e.clientX, y: e.clientY };
      const target = e.currentTarget;
      start.current = at;
      timer.current = setTimeout(() => {
        timer.current = undefined;
        pressed.current = true;
        open(at, target);
      }, LONG_PRESS_MS);
    },
    onPointerMove(e: PointerEvent<HTMLElement>) {
      const from = start.current;
      if (from && Math.hypot(e.clientX - from.x, e.clientY - from.y) > LONG_PRESS_SLOP_PX) cancel();
    },
    onPointerUp: cancel,
    onPointerCancel: cancel,
    onClickCapture(e: MouseEvent<HTMLElement>) {
      if (!pressed.current) return;
      pressed.current = false;
      e.preventDefault();
      e.stopPropagation();
    },
  };
}

export interface MenuItem {
  label: string;
  onSelect(): void;
  /** Shown but not usable (the menu's `note` says why). */
  disabled?: boolean;
  danger?: boolean;
}

/**
 * The menu, in a layer above the page at `at` (kept inside the viewport). It
 * takes focus; Escape, Tab, a click elsewhere, scrolling or resizing close
 * it. `onClose(restoreFocus)`: the caller puts focus back on what opened it
 * when asked (not after an item that moves focus itself, e.g. opens a dialog).
 */
export function PopupMenu({ label, items, at, note, onClose }: { label: string; items: MenuItem[]; at: Point; note?: string | null; onClose(restoreFocus: boolean): void }) {
  const menu = useRef<HTMLDivElement>(null);
  // What had focus as the menu opened (its trigger, a row): the items' actions give it back (focus-return.ts).
  const [opener] = useState(focusedElement);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useLayoutEffect(() => {
    const el = menu.current;
    if (!el) return;
    const { width, height } = el.getBoundingClientRect();
    const margin = 8;
    const x = Math.max(margin, Math.min(at.x, window.innerWidth - width - margin));
    const y = at.y + height + margin > window.innerHeight ? Math.max(margin, at.y - height) : at.y;
    // Before the first paint: it never shows outside the screen.
    el.style.left = `${x}px`;
    el.style.top = `${y}px`;
  }, [at.x, at.y]);

  useEffect(() => {
    const first = menu.current?.querySelector<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])') ?? menu.current?.querySelector<HTMLElement>('[role="menuitem"]');
    first?.focus();
    const outside = (e: Event) => {
      if (!menu.current?.contains(e.target as Node)) closeRef.current(false);
    };
    const away = () => closeRef.current(false);
    document.addEventListener("pointerdown", outside, true);
    // Scrolling closes it, but only scrolling after it opened: the scroll event of a
    // scroll just before the press (the wheel, the list jumping to the newest) fires in
    // the next frame, before its animation-frame callbacks, and must not close it.
    const listen = requestAnimationFrame(() => document.addEventListener("scroll", away, true));
    window.addEventListener("resize", away);
    window.addEventListener("blur", away);
    return () => {
      cancelAnimationFrame(listen);
      document.removeEventListener("pointerdown", outside, true);
      document.removeEventListener("scroll", away, true);
      window.removeEventListener("resize", away);
      window.removeEventListener("blur", away);
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const buttons = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const index = buttons.indexOf(document.activeElement as HTMLElement);
    const focusAt = (i: number) => buttons[(i + buttons.length) % buttons.length]?.focus();
    switch (e.key) {
      case "ArrowDown":
        focusAt(index + 1);
        break;
      case "ArrowUp":
        focusAt(index < 0 ? -1 : index - 1);
        break;
      case "Home":
        focusAt(0);
        break;
      case "End":
        focusAt(-1);
        break;
      case "Escape":
        onClose(true);
        break;
      case "Tab":
        onClose(true);
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  return createPortal(
    <div
      ref={menu}
      className="popup-menu"
      role="menu"
      aria-label={label}
      data-testid="popup-menu"
      style={{ left: at.x, top: at.y }}
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
    >
      {note ? (
        <p className="popup-menu-note" role="note">
          {note}
        </p>
      ) : null}
      {items.map((item) => (
        <button
          key={item.label}
          type="button"
          role="menuitem"
          tabIndex={-1}
          className={item.danger ? "danger-text" : undefined}
          aria-disabled={item.disabled || undefined}
          onClick={() => {
            if (item.disabled) return;
            onClose(false);
            handFocus(opener, item.onSelect);
          }}
        >
          {item.label}
        </button>
      ))}
    </div>,
    document.body,
  );
}
