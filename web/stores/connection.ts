import { create } from "zustand";
import type { TransportName } from "../../shared/protocol/index.js";
import type { TransportStatus } from "../sync/transport.js";
import type { TransportChoice } from "../sync/transport-choice.js";

export interface ConnectionState {
  /**
   * What the indicator shows. Retries after the link was lost stay "offline"
   * rather than flickering offline → connecting → offline on every attempt;
   * "connecting" is only the first connection, before anything was known.
   */
  status: TransportStatus;
  /** The transport in use while online. */
  transport: TransportName | null;
  /** The browser reports no network at all (navigator.onLine). */
  browserOffline: boolean;
  /** Which transport the person (or the page address) chose; "auto" lets the app pick. */
  choice: TransportChoice;
  /** The page address forces the choice (`?transport=`): the setting cannot change it. */
  choiceForced: boolean;
  /**
   * The server closed this tab's connection as the oldest of too many (other
   * tabs or windows of this browser). Set: the tab stays off until the person
   * asks (`reconnect`) or the tab becomes visible again, so tabs never take
   * turns closing each other.
   */
  tooManyTabs: { reconnect(): void } | null;
  /** The server's recall window, from its hello; null until one says it (or an older server never does). */
  recallWindowMs: number | null;
  setStatus(status: TransportStatus, transport: TransportName | null): void;
  /** A new session starts: nothing is known yet ("connecting"). */
  reset(): void;
  setBrowserOffline(offline: boolean): void;
  setChoice(choice: TransportChoice, forced: boolean): void;
  setTooManyTabs(reconnect: (() => void) | null): void;
  setRecallWindowMs(ms: number | null): void;
}

/** Connection state for the status indicator. Never message or conversation data. */
export const useConnection = create<ConnectionState>()((set) => ({
  status: "connecting",
  transport: null,
  browserOffline: typeof navigator !== "undefined" && navigator.onLine === false,
  choice: "auto",
  choiceForced: false,
  tooManyTabs: null,
  recallWindowMs: null,
  setStatus: (status, transport) => set((s) => ({ status: status === "connecting" && s.status === "offline" ? "offline" : status, transport })),
  reset: () => set({ status: "connecting", transport: null, tooManyTabs: null }),
  setBrowserOffline: (browserOffline) => set({ browserOffline }),
  setChoice: (choice, choiceForced) => set({ choice, choiceForced }),
  setTooManyTabs: (reconnect) => set({ tooManyTabs: reconnect ? { reconnect } : null }),
  setRecallWindowMs: (recallWindowMs) => set({ recallWindowMs }),
}));
