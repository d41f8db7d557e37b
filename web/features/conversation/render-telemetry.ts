import { useLayoutEffect, useRef } from "react";
import { telemetry } from "../../sync/telemetry.js";

/**
 * Receive → on screen (telemetry.ts): tells the collector which messages
 * from others this mounted list renders. Those there when it opened were
 * not shown live (`seen`); each one that appears later is `shown`, timed at
 * the next paint from when its entry arrived. Layout effect: the DOM holds
 * it, and the frame asked for now is the one that paints it.
 */
export function useRenderTelemetry(messages: readonly { id: string; senderId: string }[], me: string): void {
  const known = useRef<Set<string> | null>(null);
  const lastId = messages.at(-1)?.id;
  useLayoutEffect(() => {
    const ids = messages.filter((m) => m.senderId !== me).map((m) => m.id);
    if (known.current === null) {
      known.current = new Set(ids);
      telemetry.seen(ids);
      return;
    }
    const seen = known.current;
    const fresh = ids.filter((id) => !seen.has(id));
    for (const id of fresh) seen.add(id);
    if (fresh.length > 0) telemetry.shown(fresh);
    // Only when the list's end or length moves: a message from others is appended (or history prepended).
  }, [lastId, messages.length]);
}
