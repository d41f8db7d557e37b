import { beforeEach, describe, expect, it } from "vitest";
import { listenForInstallPrompt, useInstall } from "./install-prompt.js";

/** A window with the events and the display mode that matter here (Node has EventTarget, not windows). */
function fakeWindow(standalone = false): Window {
  const target = new EventTarget();
  return Object.assign(target, {
    matchMedia: () => ({ matches: standalone }),
    navigator: {},
  }) as unknown as Window;
}

/** Chromium's beforeinstallprompt, answering the dialog with `outcome`. */
function installPrompt(outcome: "accepted" | "dismissed") {
  const event = Object.assign(
    new Event("beforeinstallprompt", { cancelable: true }),
    {
      prompts: 0,
      prompt: async () => void event.prompts++,
      userChoice: Promise.resolve({ outcome }),
    },
  );
  return event;
}

beforeEach(() => useInstall.setState({ state: "unavailable" }));

describe("Install Courier", () => {
  it("is offered only once the browser fires beforeinstallprompt, and is gone once installed", async () => {
    const win = fakeWindow();
    listenForInstallPrompt(win);
    expect(useInstall.getState().state).toBe("unavailable");
    const event = installPrompt("accepted");
    win.dispatchEvent(event);
    // Courier's own entry replaces the browser's mini-infobar.
    expect(event.defaultPrevented).toBe(true);
    expect(useInstall.getState().state).toBe("available");
    await useInstall.getState().install();
    expect(event.prompts).toBe(1);
    expect(useInstall.getState().state).toBe("installed");
    // A later event (the browser re-checking) does not bring the offer back.
    win.dispatchEvent(installPrompt("accepted"));
    expect(useInstall.getState().state).toBe("installed");
  });

  it("goes away when the dialog is dismissed until the browser offers again; appinstalled (from the browser's menu) hides it", async () => {
    const win = fakeWindow();
    listenForInstallPrompt(win);
    const first = installPrompt("dismissed");
    win.dispatchEvent(first);
    await useInstall.getState().install();
    expect(useInstall.getState().state).toBe("unavailable");
    // The used event cannot prompt again.
    await useInstall.getState().install();
    expect(first.prompts).toBe(1);
    win.dispatchEvent(installPrompt("dismissed"));
    expect(useInstall.getState().state).toBe("available");
    win.dispatchEvent(new Event("appinstalled"));
    expect(useInstall.getState().state).toBe("installed");
  });

  it("is never offered inside the installed app", () => {
    const win = fakeWindow(true);
    listenForInstallPrompt(win);
    win.dispatchEvent(installPrompt("accepted"));
    expect(useInstall.getState().state).toBe("installed");
  });
});
