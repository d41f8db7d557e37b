import { create } from "zustand";
import type { TransportName } from "../../shared/protocol/index.js";
import type { TransportStatus } from "../sync/transport.js";
import type { TransportChoice } from "../sync/transport-choice.js";

export interface ConnectionState {
  status: TransportStatus;
  /** The transport in use while online. */
  transport: TransportName | null;
  /** The browser reports no network at all (navigator.onLine). */
  browserOffline: boolean;
  /** Which transport the person (or the page address) chose; "auto" lets the app pick. */
  choice: TransportChoice;
  /** The page address forces the choice (`?transport=`): the setting cannot change it. */
  choiceForced: boolean;
  setStatus(status: TransportStatus, transport: TransportName | null): void;
  setBrowserOffline(offline: boolean): void;
  setChoice(choice: TransportChoice, forced: boolean): void;
}

/** Connection state for the status indicator. Never message or conversation data. */
export const useConnection = create<ConnectionState>()((set) => ({
  status: "connecting",
  transport: null,
  browserOffline: typeof navigator !== "undefined" && navigator.onLine === false,
  choice: "auto",
  choiceForced: false,
  setStatus: (status, transport) => set({ status, transport }),
  setBrowserOffline: (browserOffline) => set({ browserOffline }),
  setChoice: (choice, choiceForced) => set({ choice, choiceForced }),
}));
