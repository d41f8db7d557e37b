import { useSyncExternalStore } from "react";

/**
 * The manual theme (issue 17): Light, Dark, or System (follow the browser's
 * prefers-color-scheme). Remembered per browser in localStorage; shown by
 * `data-theme` on <html>, which web/styles.css lets override the media query.
 * web/public/assets/theme.js applies the same before the first paint.
 */
export type ThemeChoice = "light" | "dark" | "system";

export const THEME_KEY = "courier.theme";
const listeners = new Set<() => void>();

export function savedTheme(): ThemeChoice {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

export function applyTheme(choice: ThemeChoice, root: HTMLElement = document.documentElement): void {
  if (choice === "system") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", choice);
}

export function chooseTheme(choice: ThemeChoice): void {
  try {
    if (choice === "system") localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  } catch {
    // Storage blocked: applies to this page only.
  }
  applyTheme(choice);
  for (const listener of listeners) listener();
}

// Another tab chose: follow it.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (e) => {
    if (e.key !== THEME_KEY && e.key !== null) return;
    applyTheme(savedTheme());
    for (const listener of listeners) listener();
  });
}

export function useTheme(): ThemeChoice {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    savedTheme,
  );
}
