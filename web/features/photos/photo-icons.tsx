/** The photo feature's icons (decorative: callers give the accessible name). */
const base = { width: 20, height: 20, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", strokeWidth: 2, strokeLinecap: "round", strokeLinejoin: "round", "aria-hidden": true } as const;

export const ImageIcon = () => (
  <svg {...base}>
    <rect x="3" y="4" width="18" height="16" rx="2" />
    <circle cx="9" cy="10" r="2" />
    <path d="M21 17l-5-5-9 8" />
  </svg>
);
export const ChevronLeftIcon = () => (
  <svg {...base} width={28} height={28}>
    <path d="M15 18l-6-6 6-6" />
  </svg>
);
export const ChevronRightIcon = () => (
  <svg {...base} width={28} height={28}>
    <path d="M9 18l6-6-6-6" />
  </svg>
);
export const CloseIcon = () => (
  <svg {...base} width={24} height={24}>
    <path d="M6 6l12 12M18 6L6 18" />
  </svg>
);
