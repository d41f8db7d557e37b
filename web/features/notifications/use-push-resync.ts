import { useEffect } from "react";
import { useSession } from "../../session.js";
import { resync } from "../../push/push-client.js";
import { SUBSCRIPTION_CHANGED_EVENT } from "../../push/sw-bridge.js";

/**
 * Keeps the server's copy of this browser's push subscription current for
 * the signed-in device: at start, and when the service worker says the
 * browser replaced it. Never prompts.
 */
export function usePushResync(): void {
  const { api, deviceId } = useSession();
  useEffect(() => {
    const run = () => void resync(api, deviceId).catch((error: unknown) => console.warn("courier: push re-registration failed", error));
    run();
    window.addEventListener(SUBSCRIPTION_CHANGED_EVENT, run);
    return () => window.removeEventListener(SUBSCRIPTION_CHANGED_EVENT, run);
  }, [api, deviceId]);
}
