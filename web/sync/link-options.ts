import type { Clock } from "../../shared/sync/types.js";
import type { BackoffTimings } from "./backoff.js";
import type { HeartbeatTimings } from "./heartbeat.js";
import type { TransitionListener } from "./link-machine.js";
import type { TransportLog } from "./transport-log.js";

/** What every transport (ws, sse, poll) takes besides its own settings; tests inject all of it. */
export interface LinkOptions {
  clock?: Clock;
  /** Jitter of the reconnect backoff. */
  random?: () => number;
  backoff?: Partial<BackoffTimings>;
  /** WebSocket and SSE; the long-poll is its own heartbeat. */
  heartbeat?: Partial<HeartbeatTimings>;
  /** Where a link declared dead is recorded (`window.__courier.transportLog()`). */
  log?: TransportLog | null;
  /** Every state transition of the link, for debugging. */
  onTransition?: TransitionListener<string> | null;
}
