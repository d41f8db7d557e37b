import type { SyncStats } from "../shared/sync/types.js";
import { zeroVersions, type Versions } from "../shared/protocol/index.js";
import type { SyncClient } from "./sync/sync-client.js";
import { transportLog, type TransportLogEntry } from "./sync/transport-log.js";

export interface CourierProbe {
  engineStats(): SyncStats;
  versions(): Versions;
  /** The transport carrying the session while online ("ws" | "sse" | "poll"), else null. */
  transport(): string | null;
  /** What the connection manager did, oldest first (bounded): hello, fallback, upgrade, down. */
  transportLog(): TransportLogEntry[];
}

declare global {
  interface Window {
    __courier?: CourierProbe;
  }
}

let current: SyncClient | null = null;

/**
 * `window.__courier` is installed in every build, production included,
 * because the end-to-end suite and the benchmarks run against the real built
 * app: they read how many pulls and applies a burst caused and which
 * transport is live, and time fallbacks. It is read-only and exposes
 * counters, versions and transport names, no message content and nothing
 * another script on the page could not already read from IndexedDB.
 */
export function installProbe(): void {
  window.__courier = {
    engineStats: () => current?.stats ?? { pulls: 0, pulledEntries: 0, pulledBytes: 0, applied: 0, dropped: 0, snapshots: 0 },
    versions: () => current?.versions ?? zeroVersions(),
    transport: () => current?.transportName ?? null,
    transportLog: () => transportLog.list(),
  };
}

export function setProbeClient(client: SyncClient | null): void {
  current = client;
}
