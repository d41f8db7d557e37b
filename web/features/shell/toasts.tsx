import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { create } from "zustand";

/** How long a toast stays (unless the pointer or focus is on it). */
export const TOAST_MS = 6_000;

export interface Toast {
  id: number;
  text: string;
  kind: "error" | "info";
}

interface ToastState {
  toasts: Toast[];
  show(text: string, kind?: Toast["kind"]): void;
  dismiss(id: number): void;
}

let nextId = 1;

/**
 * Short notes about something that happened away from where the person is
 * looking (an optimistic change the server refused). Newest last, at most three.
 */
export const useToasts = create<ToastState>()((set) => ({
  toasts: [],
  show: (text, kind = "error") => set((s) => ({ toasts: [...s.toasts.slice(-2), { id: nextId++, text, kind }] })),
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
}));

/** Shows a toast from anywhere (outside React too). */
export function showToast(text: string, kind?: Toast["kind"]): void {
  useToasts.getState().show(text, kind);
}

/** The toasts, bottom centre; errors are announced at once, notes politely. */
export function Toasts() {
  const toasts = useToasts((s) => s.toasts);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <ToastView key={t.id} toast={t} />
      ))}
    </div>
  );
}

function ToastView({ toast }: { toast: Toast }) {
  const { t } = useTranslation();
  const dismiss = useToasts((s) => s.dismiss);
  useEffect(() => {
    const timer = setTimeout(() => dismiss(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast.id, dismiss]);
  return (
    <div className={`toast toast-${toast.kind}`} role={toast.kind === "error" ? "alert" : "status"} data-testid="toast">
      <span>{toast.text}</span>
      <button type="button" className="icon toast-close" aria-label={t("shell.dismiss")} onClick={() => dismiss(toast.id)}>
        {CLOSE_MARK}
      </button>
    </div>
  );
}

/** The close button's mark: a symbol, not a word (its aria-label names it). */
const CLOSE_MARK = "×";
