import { registerServiceWorker } from "./push-client.js";
import { isSwToPage } from "./sw-messages.js";

/**
 * Registers the service worker (built only by `vite build`: the dev server
 * has no /sw.js) and follows its requests to show a conversation, which is
 * how a notification click moves an open tab without reloading it.
 */
export function installServiceWorker(): void {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (!isSwToPage(event.data)) return;
    const target = new URL(event.data.url, location.origin);
    if (target.origin === location.origin && location.hash !== target.hash) location.hash = target.hash;
  });
  if (import.meta.env.PROD) void registerServiceWorker();
}
