import { useSyncExternalStore } from "react";
import { readChoice, writeChoice } from "../../lib/stored-choice.js";

/**
 * The manual theme (issue 17): Light, Dark, or System (follow the browser's
 * prefers-color-scheme). Remembered per browser in localStorage. What it
 * looks like is decided in one place, web/boot/theme.js (inline in the
 * page, run before the first paint): it sets `data-theme` on <html> to light or dark,
 * and is asked again with a "courier-theme" event after a choice here.
 */
export type ThemeChoice = "light" | "dark" | "system";

export const THEME_KEY = "courier.theme";
const listeners = new Set<() => void>();

export function savedTheme(): ThemeChoice {
  return readChoice<ThemeChoice>(THEME_KEY, ["light", "dark"], "system");
}

export function chooseTheme(choice: ThemeChoice): void {
  writeChoice<ThemeChoice>(THEME_KEY, choice, "system");
  document.documentElement.dispatchEvent(new Event("courier-theme"));
  for (const listener of listeners) listener();
}

// Another tab chose (theme.js applies it): show its choice here too.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (e) => {
    if (e.key !== THEME_KEY && e.key !== null) return;
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
