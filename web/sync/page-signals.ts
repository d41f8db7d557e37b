import type { Transport } from "./transport.js";

/** The part of `document` and `window` listened to; tests pass EventTargets. */
export interface PageEnvironment {
  document: EventTarget & { readonly visibilityState: DocumentVisibilityState };
  window: EventTarget;
}

export interface PageSignalHandlers {
  /** The page became visible again (the transport has been told and woken). */
  onVisible?(): void;
  /** The browser says the network is back (the transport has been woken). */
  onOnline?(): void;
  /** The browser says there is no network at all (the transport has been woken). */
  onOffline?(): void;
}

/**
 * The page's signals that matter to a connection, listened to in one place
 * (the sync client wires it; nothing else should listen to these for the
 * connection's sake):
 *
 * - hidden ⇄ visible: `transport.setHidden()` (slower heartbeats and backoff
 *   while hidden); on becoming visible also `transport.wake()`: a link is most
 *   likely to have died while the page slept, so check it now;
 * - `online`: `transport.wake()` (a new network: ping, or reconnect now,
 *   skipping the backoff);
 * - `offline`: `transport.wake()` too (the link most likely died with the
 *   network: a heartbeat burst proves it now rather than after the heartbeat
 *   gives up); the caller says "offline" at once;
 * - then the caller's own handlers (catch up, flush the outbox, the status bar).
 *
 * The transport is told the current visibility at once. Returns a function
 * that removes the listeners.
 */
export function watchPage(
  transport: Pick<Transport, "setHidden" | "wake">,
  handlers: PageSignalHandlers = {},
  env: PageEnvironment = browserPage(),
): () => void {
  let hidden = env.document.visibilityState === "hidden";
  transport.setHidden(hidden);

  const onVisibility = () => {
    const nowHidden = env.document.visibilityState === "hidden";
    if (nowHidden === hidden) return;
    hidden = nowHidden;
    transport.setHidden(hidden);
    if (hidden) return;
    transport.wake();
    handlers.onVisible?.();
  };
  const onOnline = () => {
    transport.wake();
    handlers.onOnline?.();
  };
  const onOffline = () => {
    transport.wake();
    handlers.onOffline?.();
  };

  env.document.addEventListener("visibilitychange", onVisibility);
  env.window.addEventListener("online", onOnline);
  env.window.addEventListener("offline", onOffline);
  return () => {
    env.document.removeEventListener("visibilitychange", onVisibility);
    env.window.removeEventListener("online", onOnline);
    env.window.removeEventListener("offline", onOffline);
  };
}

function browserPage(): PageEnvironment {
  return { document, window };
}
