import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type PointerEvent, type SyntheticEvent } from "react";
import { createPortal } from "react-dom";
import { useTranslation } from "react-i18next";
import { ChevronLeftIcon, ChevronRightIcon, CloseIcon } from "./photo-icons.js";

/** A photo the viewer shows: the full image, and the thumbnail shown while it loads. */
export interface ViewedPhoto {
  url: string;
  thumbUrl?: string;
  width?: number;
  height?: number;
}

/** A horizontal move longer than this (and mostly sideways) is a swipe. */
const SWIPE_PX = 40;

/**
 * Full size, one photo at a time: ← → (or the buttons, or a swipe) move,
 * Escape (or ×, or a tap outside the photo) closes. A modal dialog: focus
 * stays inside while it is open and goes back where it was when it closes.
 * Rendered on <body> and no event leaves it, so the message row behind it
 * (its menu on long-press, its keys) never reacts to what happens here.
 */
export function PhotoViewer({ photos, start, label, onClose }: { photos: readonly ViewedPhoto[]; start: number; label: string; onClose(): void }) {
  const { t } = useTranslation();
  const [index, setIndex] = useState(() => Math.max(0, Math.min(photos.length - 1, start)));
  const [state, setState] = useState<"loading" | "ready" | "error">("loading");
  const root = useRef<HTMLDivElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  const swipe = useRef<{ x: number; y: number; id: number } | null>(null);
  const photo = photos[index];
  const many = photos.length > 1;

  // Focus in on open, back to the opener on close.
  useLayoutEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    closeButton.current?.focus();
    return () => {
      if (opener?.isConnected) opener.focus({ preventScroll: true });
    };
  }, []);

  // The page behind does not scroll under the viewer.
  useEffect(() => {
    const { overflow } = document.body.style;
    document.body.style.overflow = "hidden";
    return () => {
      document.body.style.overflow = overflow;
    };
  }, []);

  if (!photo) return null;
  const go = (step: number) => {
    if (!many) return;
    setIndex((i) => (i + step + photos.length) % photos.length);
    setState("loading");
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    event.stopPropagation();
    if (event.key === "Escape") onClose();
    else if (event.key === "ArrowLeft") go(-1);
    else if (event.key === "ArrowRight") go(1);
    else if (event.key === "Tab") trapTab(event, root.current);
    else return;
    if (event.key !== "Tab") event.preventDefault();
  };

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.stopPropagation();
    swipe.current = { x: event.clientX, y: event.clientY, id: event.pointerId };
  };
  const onPointerUp = (event: PointerEvent<HTMLDivElement>) => {
    event.stopPropagation();
    const from = swipe.current;
    swipe.current = null;
    if (!from || from.id !== event.pointerId) return;
    const dx = event.clientX - from.x;
    const dy = event.clientY - from.y;
    if (Math.abs(dx) >= SWIPE_PX && Math.abs(dx) > Math.abs(dy) * 1.5) go(dx < 0 ? 1 : -1);
  };
  const stop = (event: SyntheticEvent) => event.stopPropagation();

  return createPortal(
    <div
      ref={root}
      className="photo-viewer"
      role="dialog"
      aria-modal="true"
      // A click on the photo (not a button) keeps focus here, so the keys still work.
      tabIndex={-1}
      aria-label={label}
      data-testid="photo-viewer"
      data-index={index}
      onKeyDown={onKeyDown}
      onPointerDown={onPointerDown}
      onPointerUp={onPointerUp}
      onPointerMove={stop}
      onPointerCancel={() => (swipe.current = null)}
      onContextMenu={stop}
      onClick={(event) => {
        stop(event);
        // A tap on the dark around the photo closes, as people expect of a lightbox.
        if (event.target === event.currentTarget || (event.target as Element).classList.contains("photo-stage")) onClose();
      }}
    >
      <div className="photo-viewer-bar">
        <span className="photo-count" aria-live="polite">
          {many ? t("photos.viewer.position", { n: index + 1, total: photos.length }) : null}
        </span>
        <button ref={closeButton} type="button" className="photo-viewer-button" aria-label={t("common.close")} onClick={onClose} data-testid="photo-viewer-close">
          <CloseIcon />
        </button>
      </div>
      <div className="photo-stage">
        {state === "loading" && photo.thumbUrl ? <img className="photo-full is-placeholder" src={photo.thumbUrl} alt="" aria-hidden="true" /> : null}
        <img
          key={photo.url}
          className={`photo-full${state === "ready" ? "" : " is-loading"}`}
          src={photo.url}
          alt={t("photos.viewer.alt", { label, n: index + 1, total: photos.length })}
          width={photo.width}
          height={photo.height}
          draggable={false}
          onLoad={() => setState("ready")}
          onError={() => setState("error")}
          data-testid="photo-full"
        />
        {state === "error" ? (
          <p className="photo-viewer-error" role="alert">
            {t("photos.viewer.error")}
          </p>
        ) : null}
      </div>
      {many ? (
        <>
          <button type="button" className="photo-viewer-button photo-prev" aria-label={t("photos.viewer.previous")} onClick={() => go(-1)} data-testid="photo-prev">
            <ChevronLeftIcon />
          </button>
          <button type="button" className="photo-viewer-button photo-next" aria-label={t("photos.viewer.next")} onClick={() => go(1)} data-testid="photo-next">
            <ChevronRightIcon />
          </button>
        </>
      ) : null}
    </div>,
    document.body,
  );
}

/** Tab and Shift+Tab go round the dialog's buttons, never out to the page behind it. */
function trapTab(event: KeyboardEvent, root: HTMLElement | null): void {
  const stops = [...(root?.querySelectorAll<HTMLElement>("button:not([disabled])") ?? [])];
  if (stops.length === 0) return;
  const at = stops.indexOf(document.activeElement as HTMLElement);
  const next = event.shiftKey ? (at <= 0 ? stops.length - 1 : at - 1) : at === stops.length - 1 ? 0 : at + 1;
  event.preventDefault();
  stops[next]!.focus();
}
