import { create } from "zustand";
import type { TransportName } from "../../shared/protocol/index.js";
import type { TransportStatus } from "../sync/transport.js";

export interface ConnectionState {
  status: TransportStatus;
  transport: TransportName | null;
  /** The browser reports no network at all (navigator.onLine). */
  browserOffline: boolean;
  setStatus(status: TransportStatus, transport: TransportName | null): void;
  setBrowserOffline(offline: boolean): void;
}

/** Connection state for the status indicator. Never message or conversation data. */
export const useConnection = create<ConnectionState>()((set) => ({
  status: "connecting",
  transport: null,
  browserOffline: typeof navigator !== "undefined" && navigator.onLine === false,
  setStatus: (status, transport) => set({ status, transport }),
  setBrowserOffline: (browserOffline) => set({ browserOffline }),
}));
