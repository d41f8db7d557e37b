import type { Socket as NetSocket } from "node:net";
import { type ServerOptions, WebSocket, WebSocketServer } from "ws";

/** Messages of one socket handled in one turn of the event loop; the rest wait for the next turns (issue 16, TURNS). */
export const MESSAGES_PER_TURN = 16;

/** What of ws's own state the socket below uses (ws 8.21; `ws` is pinned ~8.21.0). */
interface WsInternals {
  _socket: NetSocket | null;
  _receiver?: { _allowSynchronousEvents?: unknown };
}

type SendCallback = (err?: Error) => void;

/**
 * ws's WebSocket, as socket.io's engine uses it on the server, with two
 * changes to how it meets the event loop. Both are the socket's own methods
 * and fields, so an idle socket carries no closure for them.
 *
 * **A socket's messages, at most MESSAGES_PER_TURN a turn (TURNS).** (Its
 * WebSocket pings and pongs count as messages.) By
 * default ws hands a socket's messages to socket.io as fast as it parses
 * them: a read of 64 KB holding a thousand small frames from one client is
 * decoded, dispatched and answered in one go, and every other socket,
 * request and timer waits behind it (a flood over one socket held the
 * others' p99 over 100 ms). ws's own `allowSynchronousEvents: false` takes
 * one message a turn, which cost a busy connection's burst (8 sends in
 * flight) a turn each: 10–18 % of the saturated rate in pairs. So the switch
 * is thrown per socket once it has had its share of the turn, and back at
 * the next turn; while it is off, ws defers each further message with
 * setImmediate and stops reading that socket (TCP pushes back on the
 * sender). `_allowSynchronousEvents` is ws's private field; without it a
 * socket keeps ws's default, and the limits test that floods one socket
 * fails.
 *
 * **A socket's frames of one turn, a few writes (WSCORK).** ws writes each
 * frame with its own system call. A group commit answers many sends at once
 * and pushes their entries, so one socket is often given several frames in
 * the same turn: the socket is corked at its first frame and uncorked at the
 * next `process.nextTick`, and what it was given meanwhile leaves in one
 * `writev`. Through engine.io that is two writes for a turn's burst (it
 * sends its first packet at once and buffers the rest until that write's
 * callback, which now comes at the uncork), where it was one a frame.
 * Nothing waits past the turn that wrote it. A `terminate()` (and the
 * shutdown's cut, `uncorkFully`) writes what is corked before destroying.
 */
class TurnTakingWebSocket extends WebSocket {
  /** Messages (and WebSocket pings and pongs) taken in this turn. */
  private taken = 0;
  /** Corked until the end of this turn. */
  private corked = false;

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    // WebSocket-level pings and pongs too: ws answers each ping at once, and defers them as it does messages.
    if (event === "message" || event === "ping" || event === "pong") {
      if (this.taken++ === 0) setImmediate(TurnTakingWebSocket.nextTurn, this);
      if (this.taken >= MESSAGES_PER_TURN) allowSynchronousEvents(this, false);
    }
    return super.emit(event, ...args);
  }

  override send(data: Parameters<WebSocket["send"]>[0], options?: Parameters<WebSocket["send"]>[1] | SendCallback, cb?: SendCallback): void {
    const socket = (this as unknown as WsInternals)._socket;
    if (!this.corked && socket && this.readyState === WebSocket.OPEN) {
      this.corked = true;
      socket.cork();
      process.nextTick(TurnTakingWebSocket.uncork, this, socket);
    }
    // ws's own overloads: (data, cb) and (data, options, cb).
    (super.send as (data: unknown, options?: unknown, cb?: unknown) => void)(data, options, cb);
  }

  /** ws destroys the socket at once: what this turn corked is written first, as it was before the cork. */
  override terminate(): void {
    const socket = (this as unknown as WsInternals)._socket;
    if (socket) uncorkFully(socket);
    super.terminate();
  }

  private static nextTurn(ws: TurnTakingWebSocket): void {
    ws.taken = 0;
    allowSynchronousEvents(ws, true);
  }

  private static uncork(ws: TurnTakingWebSocket, socket: NetSocket): void {
    ws.corked = false;
    socket.uncork();
  }
}

/**
 * Writes what a socket holds corked now (its turn's frames): before a
 * `destroy()`, which would discard them. The cork's own uncork at the end of
 * the turn then finds nothing to do.
 */
export function uncorkFully(socket: NetSocket): void {
  while (socket.writableCorked > 0) socket.uncork();
}

function allowSynchronousEvents(ws: WebSocket, allow: boolean): void {
  const receiver = (ws as unknown as WsInternals)._receiver;
  if (typeof receiver?._allowSynchronousEvents === "boolean") receiver._allowSynchronousEvents = allow;
}

/** ws's server, making TurnTakingWebSockets: socket.io's `wsEngine`. */
export class CourierWebSocketServer extends WebSocketServer {
  constructor(options?: ServerOptions, callback?: () => void) {
    super({ ...options, WebSocket: TurnTakingWebSocket }, callback);
  }
}
