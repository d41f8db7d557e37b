/** Small inline icons (decorative: callers give the accessible name). */
const base = { width: 16, height: 16, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", strokeWidth: 2, "aria-hidden": true } as const;

export const BackIcon = () => (
  <svg {...base} strokeLinecap="round" strokeLinejoin="round">
    <path d="M15 18l-6-6 6-6" />
  </svg>
);
export const SendIcon = () => (
  <svg {...base} strokeLinecap="round" strokeLinejoin="round">
    <path d="M22 2L11 13" />
    <path d="M22 2l-7 20-4-9-9-4z" />
  </svg>
);
export const PinIcon = () => (
  <svg {...base} width={12} height={12} strokeLinecap="round" strokeLinejoin="round">
    <path d="M12 17v5M9 3h6l-1 6 4 4H6l4-4z" />
  </svg>
);
export const ClockIcon = () => (
  <svg {...base} width={12} height={12} strokeLinecap="round">
    <circle cx="12" cy="12" r="9" />
    <path d="M12 7v5l3 2" />
  </svg>
);
export const CheckIcon = () => (
  <svg {...base} width={14} height={14} strokeLinecap="round" strokeLinejoin="round">
    <path d="M4 12l5 5L20 6" />
  </svg>
);
export const DoubleCheckIcon = () => (
  <svg {...base} width={18} height={14} viewBox="0 0 30 24" strokeLinecap="round" strokeLinejoin="round">
    <path d="M2 12l5 5L18 6" />
    <path d="M12 17l1 0L26 6" />
  </svg>
);
export const AlertIcon = () => (
  <svg {...base} width={14} height={14} strokeLinecap="round">
    <circle cx="12" cy="12" r="9" />
    <path d="M12 7v6M12 16.5v.5" />
  </svg>
);
/** "Read": the double check, bolder (drawn on a filled badge, see .status-mark.is-read). */
export const ReadIcon = () => (
  <svg {...base} width={18} height={14} viewBox="0 0 30 24" strokeWidth={3} strokeLinecap="round" strokeLinejoin="round">
    <path d="M2 12l5 5L18 6" />
    <path d="M12 17l1 0L26 6" />
  </svg>
);
export const GearIcon = () => (
  <svg {...base} width={18} height={18} strokeLinecap="round" strokeLinejoin="round">
    <circle cx="12" cy="12" r="3" />
    <path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" />
  </svg>
);
export const MutedIcon = () => (
  <svg {...base} width={13} height={13} strokeLinecap="round" strokeLinejoin="round">
    <path d="M13.7 21a2 2 0 0 1-3.4 0M18.6 13A17.9 17.9 0 0 1 18 8M6.3 6.3A5.9 5.9 0 0 0 6 8c0 7-3 9-3 9h14M18 8a6 6 0 0 0-9.3-5M2 2l20 20" />
  </svg>
);
