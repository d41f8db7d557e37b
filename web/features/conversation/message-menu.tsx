import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type MouseEvent } from "react";

export interface MenuItem {
  label: string;
  danger?: boolean;
  /** Asked once more before it acts (e.g. Delete for me): the question, and the act's label. */
  confirm?: { question: string; act: string };
  onSelect(): void;
}

/** Where the menu opens: a point (right-click, long-press) or the element that opened it. */
export type MenuAnchor = { x: number; y: number };

/** Narrow screens get the menu as a sheet along the bottom edge, out of the finger's way. */
const SHEET_QUERY = "(max-width: 600px)";

/**
 * A message's menu (role menu, items menuitem): arrow keys, Home and End
 * move within it, Enter or Space choose, Escape or Tab close it and focus
 * goes back to where it was (the message). A click outside closes it.
 */
export function MessageMenu({ label, items, anchor, onClose }: { label: string; items: MenuItem[]; anchor: MenuAnchor; onClose(): void }) {
  const menu = useRef<HTMLDivElement>(null);
  const [confirming, setConfirming] = useState<MenuItem | null>(null);
  const [place, setPlace] = useState<{ left: number; top: number } | null>(null);
  const sheet = typeof matchMedia === "function" && matchMedia(SHEET_QUERY).matches;
  // The finger that long-pressed lifts over the menu it opened: that lift's click chooses nothing.
  const pressedInside = useRef(false);

  // Placed beside the anchor, kept inside the viewport.
  useLayoutEffect(() => {
    const el = menu.current;
    if (!el || sheet) return;
    const { width, height } = el.getBoundingClientRect();
    const left = Math.max(8, Math.min(anchor.x, window.innerWidth - width - 8));
    const top = anchor.y + height + 8 > window.innerHeight ? Math.max(8, anchor.y - height) : anchor.y;
    setPlace({ left, top });
  }, [anchor.x, anchor.y, sheet, confirming]);

  // The first item takes focus once the menu is in place (a hidden one cannot) and when the question replaces the items.
  const placed = sheet || place !== null;
  useEffect(() => {
    if (placed) menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus({ preventScroll: true });
  }, [confirming, placed]);

  const onClick = (event: MouseEvent<HTMLButtonElement>, item: MenuItem) => {
    // detail 0: Enter or Space on the item, which is always meant.
    if (event.detail > 0 && !pressedInside.current) return;
    choose(item);
  };

  const choose = (item: MenuItem) => {
    if (item.confirm && !confirming) {
      setConfirming(item);
      return;
    }
    onClose();
    item.onSelect();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const all = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = all.indexOf(document.activeElement as HTMLElement);
    const move = (i: number) => all[(i + all.length) % all.length]?.focus();
    switch (event.key) {
      case "ArrowDown":
        move(at + 1);
        break;
      case "ArrowUp":
        move(at - 1);
        break;
      case "Home":
        move(0);
        break;
      case "End":
        move(all.length - 1);
        break;
      case "Escape":
      case "Tab":
        onClose();
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const shown = confirming
    ? [
        { ...confirming, label: confirming.confirm!.act },
        { label: "Cancel", onSelect: () => {} },
      ]
    : items;

  return (
    <>
      <div className={`menu-backdrop${sheet ? " sheet" : ""}`} onPointerDown={(e) => (e.preventDefault(), onClose())} aria-hidden="true" />
      <div
        ref={menu}
        role="menu"
        aria-label={confirming ? confirming.confirm!.question : label}
        className={`message-menu${sheet ? " sheet" : ""}`}
        style={sheet ? undefined : { left: place?.left ?? anchor.x, top: place?.top ?? anchor.y, visibility: place ? "visible" : "hidden" }}
        onKeyDown={onKeyDown}
        onPointerDown={() => (pressedInside.current = true)}
        data-testid="message-menu"
      >
        {confirming ? <p className="menu-question">{confirming.confirm!.question}</p> : null}
        {shown.map((item) => (
          <button
            key={item.label}
            type="button"
            role="menuitem"
            tabIndex={-1}
            className={item.danger ? "danger-text" : undefined}
            onClick={(event) => onClick(event, item)}
          >
            {item.label}
          </button>
        ))}
      </div>
    </>
  );
}
