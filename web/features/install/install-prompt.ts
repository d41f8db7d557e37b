import { create } from "zustand";

/**
 * "Install Courier", where the browser offers it. Chromium-based browsers
 * fire `beforeinstallprompt` when the page is installable (a manifest with
 * icons, a service worker); the event is kept so a click can show the
 * browser's own install dialog later. Other browsers never fire it (Firefox,
 * Safari: their menus install), so there is nothing to show there. Once the
 * app is installed (`appinstalled`) or running as the installed app
 * (`display-mode: standalone`), the offer goes.
 *
 *   unavailable ──beforeinstallprompt──▶ available ──install()──▶ accepted ──▶ installed
 *        ▲                                    │ dismissed in the dialog
 *        └────────────────────────────────────┘ (the browser may offer it again)
 */

/** The part of Chromium's BeforeInstallPromptEvent that Courier uses (not in the DOM typings). */
export interface InstallPromptEvent extends Event {
  prompt(): Promise<unknown>;
  readonly userChoice: Promise<{ outcome: "accepted" | "dismissed" }>;
}

export type InstallState =
  "unavailable" | "available" | "installing" | "installed";

interface InstallStore {
  state: InstallState;
  /** Shows the browser's install dialog (call it from a click). */
  install(): Promise<void>;
}

let deferred: InstallPromptEvent | null = null;

export const useInstall = create<InstallStore>()((set, get) => ({
  state: "unavailable",
  install: async () => {
    const event = deferred;
    if (!event || get().state !== "available") return;
    // The event can prompt once: a dismissed dialog waits for the browser's next beforeinstallprompt.
    deferred = null;
    set({ state: "installing" });
    try {
      await event.prompt();
      const { outcome } = await event.userChoice;
      set({ state: outcome === "accepted" ? "installed" : "unavailable" });
    } catch {
      set({ state: "unavailable" });
    }
  },
}));

/** Running as the installed app (its own window, no address bar). */
export function runningInstalled(win: Window = window): boolean {
  return (
    win.matchMedia?.("(display-mode: standalone)").matches === true ||
    (win.navigator as { standalone?: boolean }).standalone === true
  );
}

/**
 * Listens from the start (the browser fires `beforeinstallprompt` at load,
 * long before Settings opens). Call once, before rendering.
 */
export function listenForInstallPrompt(win: Window = window): void {
  if (runningInstalled(win)) {
    useInstall.setState({ state: "installed" });
    return;
  }
  win.addEventListener("beforeinstallprompt", (event) => {
    // Courier offers it in Settings instead of the browser's own mini-infobar.
    event.preventDefault();
    deferred = event as InstallPromptEvent;
    if (useInstall.getState().state !== "installed")
      useInstall.setState({ state: "available" });
  });
  win.addEventListener("appinstalled", () => {
    deferred = null;
    useInstall.setState({ state: "installed" });
  });
}
