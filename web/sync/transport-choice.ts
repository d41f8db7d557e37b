import { TRANSPORTS, type TransportName } from "../../shared/protocol/index.js";

/**
 * Which transports this page may use, in which order, and what it remembers.
 *
 * - `?transport=ws|sse|poll` in the page address forces one transport for
 *   the life of the page: no fallback, no upgrade (the e2e suite runs one
 *   project per transport this way). `?transport=auto` ignores the setting.
 * - Otherwise the person's setting (`courier.transportChoice`: "auto" or a
 *   transport) applies; "auto" is the default.
 * - In "auto", the transport that said hello last is remembered
 *   (`courier.transport`) and tried first next time.
 */
export type TransportChoice = "auto" | TransportName;

export const TRANSPORT_PARAM = "transport";
export const CHOICE_KEY = "courier.transportChoice";
export const LAST_TRANSPORT_KEY = "courier.transport";

/** Best first: the order fallback walks down and upgrades walk up. */
export const LADDER: readonly TransportName[] = TRANSPORTS;

export function isTransportName(value: unknown): value is TransportName {
  return typeof value === "string" && (TRANSPORTS as readonly string[]).includes(value);
}

export function isTransportChoice(value: unknown): value is TransportChoice {
  return value === "auto" || isTransportName(value);
}

/** The choice the page address makes, if any (`?transport=`). */
export function choiceFromUrl(search: string): TransportChoice | null {
  const value = new URLSearchParams(search).get(TRANSPORT_PARAM);
  return isTransportChoice(value) ? value : null;
}

export type KeyValue = Pick<Storage, "getItem" | "setItem">;

/** localStorage, or null where it is missing or throws on access (some privacy modes). */
export function browserStorage(): KeyValue | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

/** A localStorage read or write that never throws (null or nothing where storage refuses). */
export function read(storage: KeyValue | null, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function write(storage: KeyValue | null, key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // Full or refused storage: the choice lasts for this page only.
  }
}

export function savedChoice(storage: KeyValue | null): TransportChoice {
  const value = read(storage, CHOICE_KEY);
  return isTransportChoice(value) ? value : "auto";
}

export function saveChoice(storage: KeyValue | null, choice: TransportChoice): void {
  write(storage, CHOICE_KEY, choice);
}

/** The transport that worked last time (auto mode only), tried first. */
export interface TransportMemory {
  load(): TransportName | null;
  save(name: TransportName): void;
}

export function storageMemory(storage: KeyValue | null): TransportMemory {
  return {
    load: () => {
      const value = read(storage, LAST_TRANSPORT_KEY);
      return isTransportName(value) ? value : null;
    },
    save: (name) => write(storage, LAST_TRANSPORT_KEY, name),
  };
}

/** What this browser can run: `WebSocket` for ws, `EventSource` for SSE, `fetch` for long-polling. */
export function supportedTransports(env: object = globalThis): TransportName[] {
  const has = (name: string) => typeof (env as Record<string, unknown>)[name] === "function";
  const supported: Record<TransportName, boolean> = {
    ws: has("WebSocket"),
    sse: has("EventSource"),
    poll: has("fetch"),
  };
  return LADDER.filter((name) => supported[name]);
}

/**
 * The transports to use, best first. A forced transport the browser lacks
 * cannot work at all, so it falls back to automatic (with a warning).
 */
export function ladderFor(choice: TransportChoice, supported: readonly TransportName[]): TransportName[] {
  if (choice !== "auto") {
    if (supported.includes(choice)) return [choice];
    console.warn(`courier: this browser cannot use transport "${choice}"; choosing automatically`);
  }
  return LADDER.filter((name) => supported.includes(name));
}
