import { useId, useLayoutEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";

/**
 * Text cut to `lines` lines, with a "More"/"Less" toggle that only appears
 * when something is actually cut off (measured, so it follows the width).
 */
export function ClampedText({ text, lines = 3, className = "" }: { text: string; lines?: number; className?: string }) {
  const { t } = useTranslation();
  const [expanded, setExpanded] = useState(false);
  const [overflows, setOverflows] = useState(false);
  const ref = useRef<HTMLParagraphElement>(null);
  const id = useId();

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || expanded) return;
    const measure = () => setOverflows(el.scrollHeight > el.clientHeight + 1);
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [text, lines, expanded]);

  return (
    <div className={`clamped ${className}`}>
      <p ref={ref} id={id} className={expanded ? "clamped-text" : "clamped-text is-clamped"} style={{ WebkitLineClamp: lines, lineClamp: lines }}>
        {text}
      </p>
      {overflows || expanded ? (
        <button type="button" className="link clamp-toggle" aria-expanded={expanded} aria-controls={id} onClick={() => setExpanded((e) => !e)}>
          {expanded ? t("listings.clamp.less") : t("listings.clamp.more")}
        </button>
      ) : null}
    </div>
  );
}
