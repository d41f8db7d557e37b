import type { PushPayload } from "../../shared/protocol/index.js";
import { parseHash, selectedConversationId } from "../stores/ui.js";
import { i18n, language } from "../i18n/index.js";
import { registerServiceWorker } from "./push-client.js";
import { isSwToPage, type LanguageMessage, type RecalledMessage, type ShowingAnswer } from "./sw-messages.js";

/** Dispatched on `window` when the browser replaced the push subscription (the signed-in app re-registers it). */
export const SUBSCRIPTION_CHANGED_EVENT = "courier:push-subscription-changed";

/**
 * Registers the service worker (built only by `vite build`: the dev server
 * has no /sw.js) and answers it: a notification click moves this tab to a
 * conversation without reloading it, and before showing a notification the
 * worker asks which conversation is on screen, so it does not repeat it.
 */
export function installServiceWorker(): void {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    const message: unknown = event.data;
    if (!isSwToPage(message)) return;
    if (message.type === "courier:showing?") {
      const answer: ShowingAnswer = {
        conversationId: selectedConversationId(parseHash(location.hash)),
        visible: document.visibilityState === "visible",
      };
      event.ports[0]?.postMessage(answer);
      return;
    }
    if (message.type === "courier:subscription-changed") {
      window.dispatchEvent(new Event(SUBSCRIPTION_CHANGED_EVENT));
      return;
    }
    const target = new URL(message.url, location.origin);
    if (target.origin === location.origin && location.hash !== target.hash) location.hash = target.hash;
  });
  if (import.meta.env.PROD) void registerServiceWorker();
  tellLanguage();
  i18n.on("languageChanged", tellLanguage);
}

/** The worker writes a few words itself (a push it cannot read): it says them in the language this page last used. */
function tellLanguage(): void {
  const message: LanguageMessage = { type: "courier:language", language: language() };
  void navigator.serviceWorker.ready.then((registration) => registration.active?.postMessage(message));
}

/** A message was recalled (or I deleted it for myself): the service worker replaces a notification that shows it (no worker: nothing to do). */
export function tellRecalled(payload: PushPayload): void {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return;
  const message: RecalledMessage = { type: "courier:recalled", payload };
  void navigator.serviceWorker.ready.then((registration) => registration.active?.postMessage(message));
}
