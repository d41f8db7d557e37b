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
  /**
   * An attempt to connect failed since the link was last up (or since the
   * start): the server does not answer although we tried. A link that just
   * dropped is not that yet (its first retry may well succeed): until an
   * attempt fails the indicator says "Connecting…".
   */
  unreachable: boolean;
  /** The status the transport reported last, as it said it (`status` smooths retries away). */
  reported: TransportStatus;
  /** Check the link now (the "Try now" button): the transport reconnects at once; null without a connection. */
  tryNow: (() => void) | null;
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
  setTryNow(tryNow: (() => void) | null): void;
  setChoice(choice: TransportChoice, forced: boolean): void;
  setTooManyTabs(reconnect: (() => void) | null): void;
  setRecallWindowMs(ms: number | null): void;
}

/** Connection state for the status indicator. Never message or conversation data. */
export const useConnection = create<ConnectionState>()((set) => ({
  status: "connecting",
  transport: null,
  browserOffline: typeof navigator !== "undefined" && navigator.onLine === false,
  unreachable: false,
  reported: "connecting",
  tryNow: null,
  choice: "auto",
  choiceForced: false,
  tooManyTabs: null,
  recallWindowMs: null,
  setStatus: (status, transport) =>
    set((s) => ({
      status: status === "connecting" && s.status === "offline" ? "offline" : status,
      transport,
      reported: status,
      // connecting → offline is a failed attempt; online → offline (a drop) is not one yet.
      unreachable: status === "online" ? false : s.unreachable || (status === "offline" && s.reported === "connecting"),
    })),
  reset: () => set({ status: "connecting", transport: null, tooManyTabs: null, unreachable: false, reported: "connecting" }),
  // A network again: what failed without one proves nothing about the server; the next attempt (at once: a wake) tells.
  setBrowserOffline: (browserOffline) => set((s) => ({ browserOffline, unreachable: browserOffline && s.unreachable })),
  setTryNow: (tryNow) => set({ tryNow }),
  setChoice: (choice, choiceForced) => set({ choice, choiceForced }),
  setTooManyTabs: (reconnect) => set({ tooManyTabs: reconnect ? { reconnect } : null }),
  setRecallWindowMs: (recallWindowMs) => set({ recallWindowMs }),
}));

/**
 * What the indicator says, in the order that matters to the person:
 * - "too-many-tabs": this tab was closed as the oldest; it waits to be asked;
 * - "offline": the browser has no network (at once, without waiting for a heartbeat to miss);
 * - "online": the server said hello;
 * - "unreachable": there is a network, but an attempt to reach the server failed;
 * - "connecting": the first connection, or the first retry after a drop.
 */
export type ConnectionDisplay = "online" | "connecting" | "offline" | "unreachable" | "too-many-tabs";

export function connectionDisplay(s: Pick<ConnectionState, "status" | "browserOffline" | "unreachable" | "tooManyTabs">): ConnectionDisplay {
  if (s.tooManyTabs) return "too-many-tabs";
  if (s.browserOffline) return "offline";
  if (s.status === "online") return "online";
  return s.unreachable ? "unreachable" : "connecting";
}
