import type { Domain, Entry, Hello, PullRequest, PullResponse, SendRequest, StreamCloseReason, TransportName, TypingFrame, Versions } from "../../shared/protocol/index.js";
import type { AnyMessage } from "../api/lenient.js";
import { t } from "../i18n/index.js";

/**
 * The seam between the sync client and whatever carries server → client
 * traffic. Only files in web/sync/ know which library sits behind it, so
 * SSE and long-poll transports can slot in without touching the app.
 *
 *   connecting ──hello──▶ online ──link lost──▶ offline ──retry──▶ connecting
 *        │                                         ▲
 *        └──────────── first attempt fails ────────┘
 *
 * "online" means the server said hello on this connection, not merely that
 * a socket opened: only then are pushes flowing.
 */
export type TransportStatus = "connecting" | "online" | "offline";

export interface TransportHandlers {
  /**
   * The versions this device has consumed (durably applied). Transports that
   * resume by cursor (SSE, long-poll) build it from these on every new
   * request, so the server sends exactly what we lack; polling with it also
   * acknowledges it, which is only true once applied.
   */
  cursor(): Versions;
  onHello(hello: Hello): void;
  onPush(entries: Entry[]): void;
  /**
   * May repeat "online" without an "offline" in between: a transport that
   * switches what carries it (connection-manager.ts) says so again, and the
   * listener re-reads `name`.
   */
  onStatus(status: TransportStatus): void;
  /**
   * The server refused the connection for a reason retrying will not fix by
   * itself: `unauthorized` (signed out elsewhere, expired), `conflict` (the
   * device id belongs to another account), or another protocol error code.
   */
  onRefused(code: string): void;
  /**
   * The server no longer holds our cursor's position for these domains (older
   * than its ring): take a snapshot. The transport reconnects with the new
   * cursor once the returned promise settles.
   */
  onReset?(domains: Domain[]): Promise<void> | void;
  /** Someone else is typing (Presence): ephemeral, not an entry; nothing to apply or acknowledge. */
  onTyping?(frame: TypingFrame): void;
}

export interface Transport {
  readonly name: TransportName;
  /** True between hello and the link going down. */
  readonly online: boolean;
  /** Starts connecting; a no-op while connected. After close() it starts over (a new connection). */
  connect(handlers: TransportHandlers): void;
  /**
   * Check the link now (page visible again, browser `online`: the moments a
   * link most likely died or came back). Connected: prove the link at once
   * (a heartbeat burst; a long-poll parked for a while is asked again).
   * Waiting to reconnect: reconnect now instead of waiting out the backoff,
   * but never before a server's `Retry-After`. Connecting: nothing.
   */
  wake(): void;
  /**
   * The page is hidden (or visible again). Hidden, heartbeats and reconnect
   * backoff slow down (docs/delivery.md); callers pair becoming visible with
   * `wake()`. May be called before `connect()`; kept across reconnects.
   */
  setHidden(hidden: boolean): void;
  /** Drops the connection at once; no handler is called after this. */
  close(): void;
  send(request: SendRequest): Promise<AnyMessage>;
  pull(request: PullRequest): Promise<PullResponse>;
  ack(acks: Partial<Versions>): Promise<void>;
  /** "I am typing here" (Presence): the socket event on WebSocket, `POST /api/typing` otherwise. Lossy. */
  typing?(conversationId: string): Promise<void>;
}

/**
 * What a server's `close {reason}` means to the sync client (`onRefused`):
 * signed out or device removed → "unauthorized" (reconnecting would get a
 * 401); the oldest of too many connections → "too_many_connections" (another
 * tab holds one; reconnecting by itself would close that one: a tab fight).
 * null: reconnect as usual (shutdown, dead).
 */
export function refusalOf(reason: StreamCloseReason | null): "unauthorized" | "too_many_connections" | null {
  if (reason === "logout" || reason === "device_removed") return "unauthorized";
  return reason === "too_many_connections" ? reason : null;
}

/** A transport's name as people read it (Settings → Advanced), in the app's language. */
export function transportLabel(name: TransportName): string {
  return t(`connection.transports.${name}`);
}
