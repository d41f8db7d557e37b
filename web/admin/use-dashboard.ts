import { useEffect, useState } from "react";
import type { AdminApi } from "./api.js";
import { DashboardPoller, type PollState } from "./poller.js";

/** The poller's state for as long as the component lives, and a clock that ticks each second for "updated 2 s ago". */
export function useDashboard(api: AdminApi): { state: PollState; now: number } {
  const [poller] = useState(() => new DashboardPoller(() => api.dashboard()));
  const [state, setState] = useState(poller.current);
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const unsubscribe = poller.subscribe(setState);
    poller.start();
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      unsubscribe();
      poller.stop();
      clearInterval(tick);
    };
  }, [poller]);
  return { state, now };
}
